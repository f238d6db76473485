"""Sample policy pages for ``watcher demo``, written for this project.

Two fictional companies: Northwind Cloud publishes an HTML privacy policy
inside the usual page chrome (navigation, cookie banner, footer); Harbor
Telecom publishes plain-text terms. Each has an original version and a
revised one; the chrome changes on every request, as real sites' does.
"""

from __future__ import annotations

NORTHWIND_V1 = """
<h1>Northwind Cloud Privacy Policy</h1>
<p><em>Last updated: 3 March 2025</em></p>
<p>Northwind Cloud Ltd ("Northwind", "we") runs hosted storage and backup services. This
policy explains which personal data we collect, why, and the choices you have.</p>
<h2>1. Information we collect</h2>
<p>We collect the details you give us when you open an account: your name, your business
email address, your billing address and the name of your organisation.</p>
<ul>
  <li>Account data, such as your login name and a salted hash of your password;</li>
  <li>Usage data, such as the size of your backups and the times you sign in;</li>
  <li>Support data, such as the messages you send to our help desk.</li>
</ul>
<h2>2. How we use information</h2>
<p>We use your data to run the service, to bill you, to keep the service secure and to
answer your questions. We do not use the content of your backups for any other purpose.</p>
<h2>3. Sharing with others</h2>
<p>We share personal data with the hosting providers that run our data centres and with
our payment processor, under written contracts that bind them to our instructions.</p>
<p>We never rent your personal data to anyone.</p>
<h2>4. How long we keep data</h2>
<p>We keep account data for as long as your account is open and for twelve months after
it is closed, unless the law requires us to keep it longer.</p>
<h2>5. Your rights</h2>
<p>You may ask for a copy of your data, ask us to correct it, or ask us to delete it, by
writing to privacy@northwind.example. We answer within thirty days.</p>
<h2>6. Contact</h2>
<p>Northwind Cloud Ltd, 12 Harbour Street, Exampletown. Email: privacy@northwind.example.</p>
"""

NORTHWIND_V2 = """
<h1>Northwind Cloud Privacy Policy</h1>
<p><em>Last updated: 9 September 2025</em></p>
<p>Northwind Cloud Ltd ("Northwind", "we") runs hosted storage and backup services. This
policy explains which personal data we collect, why, and the choices you have.</p>
<h2>1. Information we collect</h2>
<p>We collect the details you give us when you open an account: your name, your business
email address, your billing address and the name of your organisation.</p>
<ul>
  <li>Account data, such as your login name and a salted hash of your password;</li>
  <li>Usage data, such as the size of your backups and the times you sign in;</li>
  <li>Support data, such as the messages you send to our help desk.</li>
</ul>
<h2>2. How we use information</h2>
<p>We use your data to run the service, to bill you, to keep the service secure and to
answer your questions. We do not use the content of your backups for any other purpose.</p>
<h2>3. Artificial intelligence features</h2>
<p>If you turn on smart search, we use the file names and metadata of your backups to
train the models that rank your search results. You can turn this off at any time.</p>
<h2>4. Sharing with others</h2>
<p>We share personal data with the hosting providers that run our data centres, with
our payment processor and with advertising partners, under written contracts that bind
them to our instructions.</p>
<p>We never rent your personal data to anyone.</p>
<h2>5. How long we keep data</h2>
<p>We keep account data for as long as your account is open and for twelve months after
it is closed, unless the law requires us to keep it longer.</p>
<h2>6. Your rights</h2>
<p>You may ask for a copy of your data, ask us to correct it, or ask us to delete it, by
writing to privacy@northwind.example. We answer within thirty days.</p>
<h2>7. Contact</h2>
<p>Northwind Cloud Ltd, 12 Harbour Street, Exampletown. Email: privacy@northwind.example.</p>
"""

CHROME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Privacy Policy | Northwind Cloud</title>
<link rel="stylesheet" href="/static/site.{build}.css">
<script>window.__BUILD__ = "{build}"; window.__CSRF__ = "{token}";</script></head>
<body>
<header class="site-header"><nav><a href="/">Home</a> <a href="/pricing?ref={token}">Pricing</a>
<a href="/blog">Blog ({posts} new posts)</a></nav></header>
<div id="cookie-banner" class="cookie-banner">We use cookies to improve your visit.
<button>Accept all</button></div>
<main>{policy}</main>
<aside class="related"><h3>Related articles</h3><ul><li><a href="/blog/{posts}">{headline}</a></li>
</ul></aside>
<footer><p>&copy; 2025 Northwind Cloud Ltd. Page generated {stamp}.</p></footer>
</body></html>
"""

HARBOR_V1 = """Harbor Telecom Terms of Service
Effective: 1 January 2025

About these terms
These terms apply to the mobile and broadband services that Harbor Telecom Ltd provides to
you. By using the services you accept them.

1. Your account
You must be 18 or older to open an account. Keep your password safe and tell us at once if
you think someone else has used it.

2. Paying for the services
We bill you monthly in advance. If a payment fails we may suspend the services after giving
you fourteen days' notice.

3. Ending the contract
You may end the contract at any time with thirty days' notice. We may end it if you break
these terms.

4. Disputes
These terms are governed by the law of Exampleland and its courts decide any dispute.
"""

HARBOR_V2 = HARBOR_V1.replace(
    "We bill you monthly in advance.", "We bill you monthly in advance by direct debit."
)
