"""Page widgets known by what they do, whatever their class names: consent banners
and their preferences panels, "Was this helpful?" votes, newsletter sign-ups, tab
strips and share bars, each found by reading the whole page once (the outermost block
of each widget), and the links that are not the document's words (a heading's
permalink, "Back to top", a script's "Expand all"), judged one by one as
:func:`watcher.weights.survey` weighs the page. :mod:`watcher.content` counts them all
as chrome.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

from lxml import etree

from .chrome import has_descendant, in_sentence, is_language_switcher
from .visibility import HEADING_TAGS, flat_text

# The whole label of a consent banner's buttons ("Accept all cookies", "Refuse
# non-essential cookies", "Tout refuser", "Alle ablehnen"), in the languages whose dates
# watcher reads.
_CONSENT_CHOICE = re.compile(
    r"(?:i\s+)?(?:accept|allow|agree|reject|refuse|decline|deny|got\s+it"
    r"|continue\s+without\s+accepting|continuer\s+sans\s+accepter"
    r"|(?:tout\s+)?(?:accepter|refuser)|j['’]accepte|(?:alle\s+)?(?:akzeptieren|ablehnen)"
    r"|zustimmen|aceptar|rechazar|accetta|rifiuta|aceitar|rejeitar|accepteren|weigeren)"
    r"\b[^.!?]{0,40}",
    re.I,
)
_COOKIE_WORDS = re.compile(r"cookie|consent|tracker|t[ée]moins?\b", re.I)
# The text of an element, without its scripts' and styles' (not stripped yet).
_SHOWN_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]")
# A consent banner says what it has to say in this many words or fewer (the longest,
# which say what each kind of cookie is for, run to about 230).
BANNER_WORDS = 250
# ... and its preferences panel, with a line on each kind of cookie, in this many.
PANEL_WORDS = 400
# The forms that networks and mail clients open to share a page (how share buttons are
# built: the link carries the page's address to the network's share endpoint).
_SHARE_LINK = re.compile(
    r"^\s*(?:mailto:\?|(?:https?:)?//(?:[\w-]+\.)*(?:"
    r"(?:twitter|x)\.com/(?:intent/(?:tweet|post)|share)"
    r"|facebook\.com/(?:sharer|share\.php|dialog/(?:share|feed))"
    r"|linkedin\.com/(?:shareArticle|sharing/share-offsite|cws/share)"
    r"|reddit\.com/submit|pinterest\.[a-z.]+/pin/create|whatsapp\.com/send|wa\.me/\?"
    r"|t(?:elegram)?\.me/share|tumblr\.com/(?:share|widgets/share)|bsky\.app/intent/compose"
    r"|threads\.net/intent|vk\.com/share\.php|xing\.com/spi/shares|line\.me/R/msg"
    r"))",
    re.I | re.M,
)
_HREFS = etree.XPath("//a/@href", smart_strings=False)
# A link back up the page ("Back to top", "Revenir en haut") says so in this many
# characters or fewer.
TOP_LINK_CHARS = 30
# What a heading's link to itself shows: a pilcrow, a hash, a section sign or a link
# symbol, never a word (zero-width spaces and emoji selectors aside).
_PERMALINK_TEXT = re.compile(r"[\s\u200b\ufeff]*[¶#§🔗⚓]\ufe0f?[\s\u200b\ufeff]*")
# The attributes of a link that opens and closes a block of the page (its title).
_DISCLOSURE = frozenset(("aria-expanded", "aria-controls"))
# What a "Back to top" button shows when it shows no words: an arrow or a chevron up.
_UP_ARROW = re.compile(r"\s*[↑⇧⇑⬆▲△▴⌃^˄]\ufe0f?\s*")
# What a footnote's link back to its citation shows: a return arrow, or an arrow or a
# caret up ("↩︎" from Markdown renderers, "^" on wikis).
_BACK_ARROW = re.compile(r"\s*[↩↵⤴⤶⮐↑⇧⬆^][\ufe0e\ufe0f]?\s*")
# A vote widget asks its question in this many words or fewer.
VOTE_WORDS = 30
# ... and a newsletter sign-up its offer in this many.
SIGNUP_WORDS = 40
# A panel offering the news beside the document (its title, pitch, form and consent
# line) shows this many words and links or fewer.
OFFER_WORDS = 100
OFFER_LINKS = 2
_NOT_FIELDS = frozenset(("hidden", "submit", "button", "image", "reset", "checkbox"))
# What scripts make buttons of (``<div role="button">``, as React sites build them):
# found by their attribute, which libxml2 looks up five times as fast as elements with it.
_ROLE_BUTTONS = etree.XPath("//@role[. = 'button']")
_FIELDS_AND_LINKS = frozenset(("a", "input", "select", "textarea"))
_BUTTON_TYPES = frozenset(("submit", "button", "image"))
_EMAIL_WORD = re.compile(r"e-?mail|courriel", re.I)
# What a search field's name, placeholder or label says, in the languages policies
# are most often written in ("searchstring", "Rechercher", "Suchen", "Buscar", "Zoeken";
# not the English "such").
_SEARCH_WORD = re.compile(r"search|query|recherch|suche|suchbegriff|busca|cerca|zoek|pesquis", re.I)
_BY_ID = etree.XPath("//*[@id = $id]")
_LABELS_FOR = etree.XPath("//label[@for=$id]")
# Text outside forms and headings, a link outside forms, or a second form.
_BESIDE_FORM = etree.XPath(
    "boolean(.//text()[normalize-space()][not(ancestor::script or ancestor::style"
    " or ancestor::form or ancestor::h1 or ancestor::h2 or ancestor::h3 or ancestor::h4"
    " or ancestor::h5 or ancestor::h6)] | .//a[not(ancestor::form)] | .//form[2])"
)
# A tab's label is this short or shorter, and stands this few levels above its panes.
TAB_LABEL_CHARS = 40
TAB_LEVELS = 3


def consent_banners(root: etree._Element) -> list[etree._Element]:
    """Consent banners known by their choices, whatever their class names (hashed by
    CSS-in-JS): the outermost labelled region or dialog of at most :data:`BANNER_WORDS`
    words that speaks of cookies around an "Accept all cookies" or "Refuse" button (or a
    link to a script), else the outermost such block that offers two of those choices;
    and the preferences panel beside a banner. Read before the buttons go with the rest
    of what has no text."""
    found: list[etree._Element] = []
    for button in _choices(root):
        if not _is_consent_choice(button):
            continue
        banner = _banner_around(button)
        if banner is not None and banner not in found:
            found.append(banner)
            found.extend(panel for panel in _panels_beside(banner) if panel not in found)
    return found


def _choices(root: etree._Element) -> Iterator[etree._Element]:
    """What a reader clicks to choose: buttons (``<input type="submit">`` too), and links
    that go nowhere but to a script (``<a href="#" class="btn">Accept all</a>``, as
    cookie plugins make them)."""
    for element in root.iter("button", "a", "input"):
        if element.tag == "button":
            yield element
        elif element.tag == "input":
            if _is_input_button(element):
                yield element
        else:
            href = (element.get("href") or "").strip()
            if href in ("", "#") or href.startswith("javascript:"):
                yield element


def _is_consent_choice(button: etree._Element) -> bool:
    return any(
        len(label) <= 60 and _CONSENT_CHOICE.fullmatch(" ".join(label.split()))
        for label in _choice_labels(button)
    )


def _choice_labels(button: etree._Element) -> Iterator[str]:
    """What a choice says: its ``aria-label`` or text; for an ``<input>`` button, its
    value, or the label its wrapper shows beside it (``<span><input type="submit">
    <span>Accept cookies</span></span>``, as a shop's design system builds buttons)."""
    label = button.get("aria-label")
    if label:
        yield label
    elif button.tag != "input":
        yield "".join(button.itertext())
    else:
        yield button.get("value") or ""
        wrapper = button.getparent()
        if wrapper is not None and len(wrapper) <= 3:
            yield "".join(_SHOWN_TEXT(wrapper))


def _banner_around(button: etree._Element) -> etree._Element | None:
    labelled = unlabelled = None
    speaks = False
    for ancestor in _ancestors_within(button, BANNER_WORDS):
        # Once a block speaks of cookies, every block around it does.
        speaks = speaks or bool(_COOKIE_WORDS.search(" ".join(_SHOWN_TEXT(ancestor))))
        if speaks:
            if _is_labelled_region(ancestor):
                labelled = ancestor
            else:
                unlabelled = ancestor
    if labelled is not None:
        return labelled
    # Nothing labels it: a block that offers one choice could be a policy's own form.
    if unlabelled is not None and sum(map(_is_consent_choice, _choices(unlabelled))) >= 2:
        return unlabelled
    return None


def _panels_beside(banner: etree._Element) -> list[etree._Element]:
    """The banner's siblings that speak of cookies and offer two consent choices: the
    preferences panel a banner opens ("Necessary", "Statistics"... Save / Refuse all /
    Accept all), longer than a banner."""
    return [
        sibling
        for sibling in banner.itersiblings(etree.Element, preceding=True)
        if _is_panel(sibling)
    ] + [sibling for sibling in banner.itersiblings(etree.Element) if _is_panel(sibling)]


def _is_panel(element: etree._Element) -> bool:
    if _shows_over(element, PANEL_WORDS):
        return False
    choices = sum(map(_is_consent_choice, _choices(element)))
    return choices >= 2 and bool(_COOKIE_WORDS.search(" ".join(_SHOWN_TEXT(element))))


def _is_labelled_region(element: etree._Element) -> bool:
    get = element.get
    return (
        element.tag in ("aside", "dialog")
        or get("role") in ("region", "dialog", "alertdialog")
        or get("aria-label") is not None
        or get("aria-labelledby") is not None
    )


def vote_forms(root: etree._Element) -> list[etree._Element]:
    """Forms that ask readers to rate the page ("Was this helpful?" Yes / No), known by
    their choices whatever their class names: two or more submit buttons of one name
    with different values, no other control but hidden fields, and at most
    :data:`VOTE_WORDS` words. Read before the buttons go with the rest of what has no
    text. A policy's own form (an opt-out button, consent check boxes) is not one."""
    return [form for form in root.iter("form") if _is_vote(form)]


def _is_vote(form: etree._Element) -> bool:
    choices: set[tuple[str | None, str | None]] = set()
    for control in form.iter("input", "button", "select", "textarea"):
        kind = (control.get("type") or ("submit" if control.tag == "button" else "")).lower()
        if control.tag == "input" and kind == "hidden":
            continue
        if control.tag not in ("input", "button") or kind not in ("submit", "image"):
            return False
        choices.add((control.get("name"), control.get("value")))
    names = {name for name, _ in choices}
    if len(choices) < 2 or len(names) != 1 or None in names:
        return False
    return not _shows_over(form, VOTE_WORDS)


def _ancestors_within(element: etree._Element, words: int) -> Iterator[etree._Element]:
    """The ancestors of ``element`` that show at most ``words`` words, innermost first,
    below ``<body>``, ``<main>`` and ``<article>``; each one's words are counted once,
    from the count of the block it holds."""
    count = _words_shown(element, words)
    child = element
    for ancestor in element.iterancestors():
        if ancestor.tag in ("body", "main", "article"):
            return
        count += _words_beside(ancestor, child, words - count)
        if count > words:
            return
        yield ancestor
        child = ancestor


def _words_beside(parent: etree._Element, child: etree._Element, budget: int) -> int:
    """The words ``parent`` shows outside ``child`` (``child``'s tail included),
    counting no further than ``budget``."""
    count = len(parent.text.split()) if parent.text else 0  # <script>s hold no blocks
    for other in parent:
        if other is not child:
            count += _words_shown(other, budget - count)
        if other.tail:
            count += len(other.tail.split())
        if count > budget:
            break
    return count


def _words_shown(element: etree._Element, budget: int) -> int:
    """The words ``element`` shows (its scripts and styles left out, not its tail),
    counting no further than ``budget``."""
    count = 0
    for node in element.iter():
        if node.text and isinstance(node.tag, str) and node.tag not in ("script", "style"):
            count += len(node.text.split())
        if node.tail and node is not element:
            count += len(node.tail.split())
        if count > budget:
            break
    return count


def _shows_over(element: etree._Element, words: int) -> bool:
    """Whether ``element`` shows more than ``words`` words (its scripts and styles left
    out), counting no further than that: its ancestors may hold the whole page."""
    return _words_shown(element, words) > words


def signup_forms(root: etree._Element) -> list[etree._Element]:
    """Forms that sign readers up to news by e-mail ("Our news every month" [your
    e-mail] Subscribe), known by their one field whatever their class names: an
    e-mail address and nothing else to type or choose (check boxes aside: the consent
    to the mailing), with at most :data:`SIGNUP_WORDS` words. Each goes with the
    blocks around it that show nothing else but a heading (the offer's title: "Stay
    updated"): no other text, link or form. A contact or log-in form asks more than
    an address; a policy's paragraph beside a form to subscribe to its updates stays.
    A sign-up in a panel of its own beside the document takes the panel with it
    (:func:`_offer_panel`)."""
    found: list[etree._Element] = []
    title_path: frozenset[etree._Element] | None = None
    for form in root.iter("form"):
        if not _is_signup(form):
            continue
        if title_path is None:
            title_path = _title_path(root)
        widget = form
        for ancestor in form.iterancestors():
            # The word count first: it stops early, where the XPath reads the whole block.
            if ancestor.tag in ("body", "main", "article") or _shows_over(ancestor, SIGNUP_WORDS):
                break
            if _BESIDE_FORM(ancestor):
                break
            widget = ancestor
        panel = _offer_panel(form, title_path)
        found.append(widget if panel is None else panel)
    return found


def _offer_panel(
    form: etree._Element, title_path: frozenset[etree._Element]
) -> etree._Element | None:
    """The panel that offers the news beside the document: the outermost block around a
    sign-up form, of at most :data:`OFFER_WORDS` words, :data:`OFFER_LINKS` links and one
    form, that stands next to the block holding the page's one ``<h1>`` and more words
    (its title, its pitch, the consent line under the form and the thanks a script shows
    all go with it). ``title_path`` is the ``<h1>`` and its ancestors. A block beside the
    ``<h1>`` itself, or beside a title block of a few words, is inside the document."""
    for ancestor in form.iterancestors():
        if ancestor in title_path or ancestor.tag in ("body", "main"):
            return None
        if _shows_over(ancestor, OFFER_WORDS) or not _one_offer(ancestor):
            return None
        parent = ancestor.getparent()
        if parent is not None and parent in title_path:
            document = next(child for child in parent if child in title_path)
            beside = document.tag != "h1" and _shows_over(document, OFFER_WORDS)
            return ancestor if beside else None
    return None


def _one_offer(block: etree._Element) -> bool:
    """Whether ``block`` holds one form and at most :data:`OFFER_LINKS` links."""
    forms = sum(1 for _ in block.iter("form"))
    return forms == 1 and sum(1 for _ in block.iter("a")) <= OFFER_LINKS


def _title_path(root: etree._Element) -> frozenset[etree._Element]:
    """The page's one ``<h1>`` and its ancestors (nothing when it has none or several)."""
    titles = list(itertools.islice(root.iter("h1"), 2))
    if len(titles) != 1:
        return frozenset()
    return frozenset((titles[0], *titles[0].iterancestors()))


def _is_signup(form: etree._Element) -> bool:
    fields = 0
    for control in form.iter("input", "select", "textarea"):
        kind = (control.get("type") or "text").lower()
        if control.tag == "input" and kind in _NOT_FIELDS:
            continue
        if control.tag != "input" or kind not in ("email", "text") or not _asks_email(control):
            return False
        fields += 1
    return fields == 1 and not _shows_over(form, SIGNUP_WORDS)


def search_boxes(root: etree._Element) -> list[etree._Element]:
    """Search boxes standing in the page ("Search the Help pages" [ ] Search), known by
    their field whatever their class names: a form whose one field to type into asks
    for a search, with at most :data:`SIGNUP_WORDS` words; and the hint that a search
    field names as its description ("Enter your search term to display live search
    results", which a script announces as the reader types), and its label where it
    stands outside the form ("Find more solutions" over the box). A page that wraps all its
    text in one form (as ASP.NET sites do) shows more than that and stays."""
    found: list[etree._Element] = []
    for field in root.iter("input", "textarea"):
        if not _asks_search(field):
            continue
        form = next(field.iterancestors("form"), None)
        if form is not None and form not in found and _is_search_form(form):
            found.append(form)
        for name in (field.get("aria-describedby") or "").split():
            # Every element of that id: pages that show two search boxes repeat it.
            for hint in _BY_ID(root, id=name):
                if hint not in found and not _shows_over(hint, VOTE_WORDS):
                    found.append(hint)
        if field_id := field.get("id"):
            for label in _LABELS_FOR(root, id=field_id):
                if label not in found and not _shows_over(label, VOTE_WORDS):
                    found.append(label)
    return found


def _is_search_form(form: etree._Element) -> bool:
    return _typed_fields(form) == 1 and not _shows_over(form, SIGNUP_WORDS)


def _asks_search(field: etree._Element) -> bool:
    get = field.get
    kind = (get("type") or "text").lower()
    if kind == "search" or get("role") == "searchbox":
        return True
    if field.tag != "input" or kind != "text":
        return False
    if get("name") in ("q", "s"):
        return True
    return bool(_SEARCH_WORD.search(_said(field, "title")))


def _typed_fields(form: etree._Element) -> int:
    """How many fields of ``form`` the reader types into."""
    count = 0
    for control in form.iter("input", "textarea"):
        kind = (control.get("type") or "text").lower()
        if control.tag == "textarea" or kind not in _NOT_FIELDS:
            count += 1
    return count


def _asks_email(field: etree._Element) -> bool:
    if (field.get("type") or "").lower() == "email":
        return True
    return bool(_EMAIL_WORD.search(_said(field, "autocomplete")))


def _said(field: etree._Element, also: str) -> str:
    """What a field says it asks for: its name, id, placeholder, ARIA label and ``also``."""
    names = ("name", "id", "placeholder", also, "aria-label")
    return " ".join(filter(None, (field.get(name) for name in names)))


def tab_strips(hidden: list[etree._Element]) -> list[etree._Element]:
    """Lists of tab labels that a script switches panes with, known by the panes
    whatever their names: a block whose children are panes of one tag, all hidden but
    one, and right before it a list with one short label per pane and no link
    ("Privacy" "Publication" "Copyright" over the first of three legal notices). The
    labels are the page's controls, not the document; a list of links (a table of
    contents) or of another length stays."""
    hidden_set = set(hidden)
    found: list[etree._Element] = []
    seen: set[etree._Element] = set()
    for pane in hidden:
        parent = pane.getparent()
        if parent is None or parent in seen:
            continue
        seen.add(parent)
        panes = [child for child in parent if isinstance(child.tag, str)]
        if len(panes) < 2 or len({child.tag for child in panes}) != 1:
            continue
        if sum(1 for child in panes if child not in hidden_set) != 1:
            continue
        strip = _labels_before(parent, len(panes))
        if strip is not None:
            found.append(strip)
    return found


def _labels_before(block: etree._Element, count: int) -> etree._Element | None:
    """The list of ``count`` short labels without links that stands right before
    ``block`` (or before the blocks that hold only it), if there is one."""
    for _ in range(TAB_LEVELS):
        previous = block.getprevious()
        while previous is not None and not "".join(_SHOWN_TEXT(previous)).strip():
            previous = previous.getprevious()
        if previous is not None:
            lists = [previous] if previous.tag in ("ul", "ol") else list(previous.iter("ul", "ol"))
            if len(lists) != 1 or has_descendant(previous, "a"):
                return None
            items = [item for item in lists[0] if item.tag == "li"]
            if len(items) != count or len(items) != len(lists[0]):
                return None
            labels = ["".join(item.itertext()).strip() for item in items]
            if any(not label or len(label) > TAB_LABEL_CHARS for label in labels):
                return None
            return previous
        block = block.getparent()
        if block is None:
            return None
    return None


def vote_buttons(root: etree._Element) -> list[etree._Element]:
    """Blocks that ask readers to rate the page with buttons a script listens to, no
    form around them ("Was this helpful?" Yes / No): the outermost block around two or
    more buttons (``<button>``, or any element but a link or field that says it is one
    with ``role="button"``) of a few words each, with no toggle, link or field in it, a
    question and at most :data:`VOTE_WORDS` words."""
    roles = [value.getparent() for value in _ROLE_BUTTONS(root)]
    roles = [b for b in roles if b.tag != "button" and b.tag not in _FIELDS_AND_LINKS]
    buttons = [*root.iter("button"), *_input_buttons(root), *roles]
    short = {button: _is_short(button) for button in buttons}
    in_blocks = _counted_into_blocks(roles, short)
    # The outermost widget at or above each block climbed through (None: none there, or
    # the climb stopped there): a widget's other buttons climb through the same blocks.
    above: dict[etree._Element, etree._Element | None] = {}
    found: list[etree._Element] = []
    for button in buttons:
        if _short_buttons(button, short, in_blocks) != 1:
            continue  # a toggle, a long label, a link: no vote widget holds it
        widget = _widget_around(button, short, in_blocks, above)
        if widget is not None and widget not in found:
            found.append(widget)
    return found


def _counted_into_blocks(
    roles: list[etree._Element], short: dict[etree._Element, bool]
) -> dict[etree._Element, int]:
    """How many of the ``role="button"`` elements ``roles`` each block holds (-1: one that
    is not short), counted once up their ancestors rather than looked for under each
    block climbed: they are ``<div>``s, and so is most of a page."""
    in_blocks: dict[etree._Element, int] = {}
    for button in roles:
        for block in (button, *button.iterancestors()):
            count = in_blocks.get(block, 0)
            in_blocks[block] = -1 if count < 0 or not short[button] else count + 1
    return in_blocks


def _widget_around(
    button: etree._Element,
    short: dict[etree._Element, bool],
    in_blocks: dict[etree._Element, int],
    above: dict[etree._Element, etree._Element | None],
) -> etree._Element | None:
    """The outermost vote widget around ``button``, if any; what each block climbed
    through leads to goes into ``above`` for the buttons beside it."""
    widget, chain = None, []
    for ancestor in button.iterancestors():
        if ancestor in above:
            upper = above[ancestor]
            widget = widget if upper is None else upper
            break
        chain.append(ancestor)
        if ancestor.tag in ("body", "main", "article", "form"):
            break
        count = _short_buttons(ancestor, short, in_blocks)
        if count < 0 or _shows_over(ancestor, VOTE_WORDS):
            break
        if count >= 2 and "?" in "".join(_SHOWN_TEXT(ancestor)):
            widget = ancestor
    top = chain.index(widget) if widget in chain else len(chain) if widget is not None else -1
    above.update((block, widget if i <= top else None) for i, block in enumerate(chain))
    return widget


def _input_buttons(root: etree._Element) -> list[etree._Element]:
    """The ``<input>`` buttons outside forms (a script listens to them, and their label
    may stand beside them: ``<input type="submit"><span>Yes</span>``)."""
    return [
        field
        for field in root.iter("input")
        if _is_input_button(field) and next(field.iterancestors("form"), None) is None
    ]


def _is_input_button(field: etree._Element) -> bool:
    """Whether an ``<input>`` is a button (submit, button or image)."""
    return (field.get("type") or "").lower() in _BUTTON_TYPES


def _is_short(button: etree._Element) -> bool:
    """Whether ``button`` says a few words and opens nothing (as a vote's choices do)."""
    if button.get("aria-controls") or button.get("aria-expanded"):
        return False
    return len("".join(button.itertext()).split()) <= 3


def _short_buttons(
    element: etree._Element,
    short: dict[etree._Element, bool],
    in_blocks: dict[etree._Element, int],
) -> int:
    """How many buttons ``element`` holds, all short (``short``, from :func:`_is_short`),
    or -1 when it holds another control, a link, or a button that is not short.
    ``in_blocks`` counts the ``role="button"`` elements at or under each block."""
    count = in_blocks.get(element, 0)
    if count < 0:
        return -1
    for control in element.iter("button", "a", "input", "select", "textarea"):
        if control.tag == "input" and (control.get("type") or "").lower() == "hidden":
            continue
        if control.tag not in ("button", "input") or not short.get(control, False):
            return -1
        count += 1
    return count


def share_bars(root: etree._Element) -> list[etree._Element]:
    """Share buttons known by where they go, whatever their class names: the outermost
    block around two links or more to a network's share form or to an e-mail with no
    address (``mailto:?subject=``), with no other text than those links'."""
    # One search over all the addresses first: most pages have no share link at all.
    if not _SHARE_LINK.search("\n".join(_HREFS(root))):
        return []
    found: list[etree._Element] = []
    for link in root.iter("a"):
        if not _SHARE_LINK.match(link.get("href", "")):
            continue
        bar = None
        for ancestor in link.iterancestors():
            if ancestor.tag in ("body", "main", "article") or not _only_shares(ancestor):
                break
            bar = ancestor
        if bar is not None and bar not in found:
            found.append(bar)
    return found


def _only_shares(element: etree._Element) -> bool:
    links = list(element.iter("a"))
    if len(links) < 2 or not all(_SHARE_LINK.match(a.get("href", "")) for a in links):
        return False
    shown = sum(len("".join(_SHOWN_TEXT(a)).split()) for a in links)
    return len(" ".join(_SHOWN_TEXT(element)).split()) == shown


def language_lists(links: list[etree._Element]) -> list[etree._Element]:
    """The language switchers around ``links`` (those that lead to the page in another
    language) wherever they stand (inside the document's landmark, at the end of a
    page whose policy is the whole body): the outermost block around such links that
    :func:`~watcher.chrome.is_language_switcher` calls one. A translation coming or
    going is the site's news, not the policy's."""
    found: list[etree._Element] = []
    for link in links:
        block = None
        for ancestor in link.iterancestors():
            if ancestor.tag in ("body", "main", "article") or has_descendant(
                ancestor, *HEADING_TAGS
            ):
                break  # a block with a heading is a section, not a switcher's label
            if is_language_switcher(ancestor):
                block = ancestor
            elif block is not None or any(a is not link for a in ancestor.iter("a")):
                break  # past the switcher, or its other links are not languages'
        if block is not None and block not in found:
            found.append(block)
    return found


def page_link_kind(
    link: etree._Element,
    href: str,
    chars: int,
    ends_page: Callable[[etree._Element], bool] = lambda _: False,
) -> str | None:
    """Why ``link`` (to ``href``, showing ``chars`` characters) is not the document's
    words, or None (``ends_page`` tells whether the page shows nothing after an element):

    - ``"permalink"``: the symbol a site puts beside each heading to give its address
      (``<a class="headerlink" href="#sharing">¶</a>``): a pilcrow, a hash, a section
      sign or a link emoji, and nothing else, in a heading or standing alone. Sites show
      them on hover and add them to every heading at once;
    - ``"top"``: a link back up the page that sites put after each section ("Back to
      top", "Retour"), known by where it goes: ``#top`` (the top of the page, by the
      HTML standard) or a block that holds the link and more words than it; standing
      alone (not in a sentence, not in a heading), with at most
      :data:`TOP_LINK_CHARS` characters; or a link to ``#`` alone that shows only an
      arrow up (a floating "↑" button); or a link to a place in the page that shows
      only a return arrow or an arrow up (a footnote's "↩︎" back to its citation);
    - ``"control"``: a link that works the page's script, standing alone outside the
      headings with as few characters: one to a ``javascript:`` address ("Print this
      page"), or one that says it is a button (``role="button"``) and goes nowhere
      (``#`` alone: "Expand all", "Menu"), or one to ``#`` alone that the page shows
      last, and no other link of the page says: what a site floats over every page,
      appended to the end of ``<body>`` ("Feedback", "Consent preferences"), which a
      page whose policy is the whole body would read as its last line; in a heading,
      only one that ends it after more words of the heading's own (a "Print" beside
      an article's title).

    A heading's link to itself (its title or its number), a table of contents' links,
    which go down the page, and a link back to a section named in a sentence are the
    document's; so are a button's link that goes to a place in the page (an
    accordion's title) and one without an address at all (some pages' "View summary",
    which readers keep)."""
    if chars > TOP_LINK_CHARS:
        return None
    if not href.startswith("#"):
        # Most links go elsewhere: their first letter settles it, before any lowering.
        script = href[:1] in ("j", "J") and href[:11].lower() == "javascript:"
        return _control(link) if script else None
    symbol = "".join(link.itertext()) if chars <= 3 else ""  # what a symbol's link shows
    # In a sentence outside a heading ("in <a href="#s5">§</a> 5"), a symbol is a word.
    if _PERMALINK_TEXT.fullmatch(symbol) and (
        next(link.iterancestors(*HEADING_TAGS), None) is not None or not in_sentence(link)
    ):
        return "permalink"
    if len(href) > 1 and chars <= 2 and _BACK_ARROW.fullmatch(symbol):
        return "top"  # a footnote's way back to where it is cited
    if len(href) == 1:
        # Many links that lead somewhere once a script runs go to "#" meanwhile (a
        # menu's, "Back to top"; an accordion's title, before its panel): only one
        # that says it is a button, or that nothing follows, is a control, and one that
        # shows only an arrow up is the page's way back to its top.
        if chars <= 2 and _UP_ARROW.fullmatch(symbol):
            return None if in_sentence(link) else "top"
        if link.get("role") == "button" or (ends_page(link) and not _said_before(link)):
            return _control(link)
        return None
    if in_sentence(link):
        return None
    target = href[1:]
    for ancestor in link.iterancestors():
        if ancestor.tag in HEADING_TAGS:
            return None
        if ancestor.get("id") == target:
            return "top" if _shows_over(ancestor, len("".join(link.itertext()).split())) else None
    return "top" if target.lower() == "top" else None


def _said_before(link: etree._Element) -> bool:
    """Whether the page has another link to ``#`` alone with the same words (a "Back to
    top" after every section, of which the last one only ends the page)."""
    words = "".join(link.itertext()).split()
    return any(
        other is not link
        and other.get("href") == "#"
        and "".join(other.itertext()).split() == words
        for other in link.getroottree().iter("a")
    )


def _control(link: etree._Element) -> str | None:
    """``"control"`` for a script's link standing alone outside the headings, or ending
    one after its title (see :func:`page_link_kind`). One that opens or closes a block
    of its own (an accordion's title: ``aria-expanded``, ``aria-controls``,
    ``data-toggle``) is that block's title."""
    if any(name in _DISCLOSURE or "toggle" in name for name in link.attrib):
        return None
    heading = next(link.iterancestors(*HEADING_TAGS), None)
    if heading is not None:
        return "control" if _ends_title(link, heading) else None
    return None if in_sentence(link) else "control"


def _ends_title(link: etree._Element, heading: etree._Element) -> bool:
    """Whether a script's link ends a heading after more words of the heading's own (a
    help centre's "Print" beside an article's title); one that holds the title's words
    (an accordion's, "1." beside it) is the title."""
    words, whole = flat_text(link), flat_text(heading)
    return bool(words) and whole.endswith(words) and len(whole) - len(words) > len(words)
