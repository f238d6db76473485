"""What a loaded ``sources.yaml`` holds: sources and settings, with their defaults."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from ..errors import ConfigError

log = logging.getLogger(__name__)

MAX_CONFIG_BYTES = 5 * 1024 * 1024
MAX_TEXT = 500
MAX_URL = 2048
MAX_LIST = 200
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
DEFAULT_USER_AGENT = "watcher/0.1 (policy change tracker; +https://github.com/watcher)"
# The built-in privacy terms. Each is the words that say it, in English, then French,
# German, Spanish, Italian, Portuguese and Dutch (the languages whose dates watcher
# reads), each word or phrase starting at a word's start; and its words in Chinese,
# Japanese and Korean, which need no word boundaries. A term's flag is labelled with
# the words matched. No alternative is an English word of its own ("tiers" only after
# an article, German "Kinder" only capitalised, no bare "localisation": "a kinder
# world", "pricing tiers" and a product's localisation are no flags).
_TERMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (  # selling
        (
            r"sell(s|ing)?\b", r"sale\b",
            r"vend(re|ons|ent|u|ue|us|ues|er|emos|e|en|em|ido|ida|idos|idas|ere|iamo|ono|uto"
            r"|uta|uti|ute)\b", r"vent(e|es|a|as)\b", r"vendas?\b", r"vendita\b",
            r"verkauf(en|t|te|ten)?\b", r"verkop(en|t)?\b", r"verkoop\b",
        ),
        "出售|售卖|出卖|販売|売却|판매|매각",
    ),
    (  # sharing
        (
            r"shar(e|es|ed|ing)\b", r"partag(e|es|er|eons|ent|é|ée|és|ées)\b",
            r"compart(ir|imos|e|en|ido|ida|idos|idas)\b",
            r"condivi(dere|diamo|de|dono|so|sa|si|se|sione)\b",
            r"compartilh(ar|amos|a|am|ado|ada|ados|adas)\b",
            r"weiter(geben|gegeben|gabe)\b", r"teilen\b", r"delen\b", r"gedeeld\b",
        ),
        "共享|分享|对外提供|共有|공유",
    ),
    (  # third parties
        (
            r"third[- ]part(y|ies)\b", r"(des|aux|les|un|parties)\s+tiers\b",
            r"tierces?\s+parties\b", r"terceros\b", r"terz[ie]\b", r"terze\s+parti\b",
            r"terceiros\b", r"dritt(e|en|er|es)\b", r"drittanbieter\w*", r"derden\b",
            r"derde\s+partij(en)?\b",
        ),
        "第三方|第三者|제3자|제삼자",
    ),
    (  # retention
        (
            r"retain(s|ed)?\b", r"retention\b",
            r"conserv(er|ons|ent|é|ée|és|ées|ar|amos|an|are|iamo|ano|ação|ación|azione)\b",
            r"durée\s+de\s+conservation\b", r"retención\b", r"retenção\b",
            r"aufbewahr\w*", r"speicherdauer\b", r"löschfrist\w*", r"bewaar\w*",
        ),
        "保存|存储期限|保留期限|保管|보관|보유",
    ),
    (  # transfers
        (
            r"transfer(s|red|ring)?\b",
            r"transf[eé]r(er|ons|ent|é|ée|és|ées|t|ts|ir|imos|encia|encias|ência|ências|ido"
            r"|ida|idos|idas)\b",
            r"trasfer\w*", r"übermittl?\w*", r"übertrag\w*", r"doorgifte\b", r"doorgeven\b",
        ),
        r"转移|跨境|出境|移転|越境|국외\s?이전|해외\s?이전",
    ),
    (  # biometrics
        (r"biometric", r"biom[eé]tri"),
        "生物识别|生物特征|生体認証|生体情報|생체",
    ),
    (  # children
        (
            r"child(ren)?\b", r"minors?\b", r"enfants?\b", r"mineurs?\b", r"niños?\b",
            r"menores\b", r"menor\s+de\s+edad\b", r"bambini\b", r"minori\b", r"minorenni\b",
            r"crianças?\b", r"(?-i:Kinder(n)?\b)", r"minderjährig\w*", r"kinderen\b",
            r"minderjarig\w*",
        ),
        "儿童|兒童|未成年|児童|子ども|子供|아동|어린이|미성년",
    ),
    (  # consent
        (r"consent", r"consens[oi]\b", r"einwillig\w*", r"zustimm\w*", r"toestemming\b"),
        "同意|동의",
    ),
    (  # opting out
        (
            r"opt[- ]?(out|in)\b", r"vous\s+opposer\b", r"droit\s+d['’]opposition\b",
            r"désinscri\w*", r"oponerse\b", r"oposición\b", r"darse\s+de\s+baja\b",
            r"opporsi\b", r"opposizione\b", r"opor-se\b", r"oposição\b",
            r"widerspr(uch|echen)\w*", r"abmeld\w*", r"bezwaar\b", r"afmeld\w*",
        ),
        "退出|撤回|拒绝|オプトアウト|配信停止|거부|철회",
    ),
    (  # arbitration and class actions
        (
            r"arbitration\b", r"class action\b", r"arbitrage\b",
            r"action\s+(de\s+groupe|collective)\b", r"arbitraje\b",
            r"(demanda|acción)\s+colectiva\b", r"arbitrato\b", r"azione\s+collettiva\b",
            r"arbitragem\b", r"ação\s+coletiva\b", r"schieds(verfahren|gericht)\w*",
            r"sammelklage\w*", r"collectieve\s+actie\b",
        ),
        r"仲裁|集体诉讼|集団訴訟|중재|집단\s?소송",
    ),
    (  # AI and model training
        (
            r"(?-i:AI\b)", r"artificial intelligence\b", r"machine learning\b", r"LLMs?\b",
            r"train(s|ed|ing)?\b(\W+\w+){0,4}?\W+(models?|algorithms?|AI|systems?)\b",
            r"(?-i:IA\b)", r"intelligence\s+artificielle\b", r"apprentissage\s+automatique\b",
            r"inteligencia\s+artificial\b", r"intelligenza\s+artificiale\b",
            r"inteligência\s+artificial\b", r"(?-i:KI\b)", r"künstliche[nr]?\s+intelligenz\b",
            r"kunstmatige\s+intelligentie\b",
        ),
        r"人工智能|机器学习|训练|人工知能|機械学習|学習|인공지능|머신\s?러닝|학습",
    ),
    (  # location
        (
            r"location\b", r"geolocation\b", r"g[eé]olocali[sz]\w*", r"localización\b",
            r"localizzazione\b", r"ubicación\b", r"posizione\b", r"localização\b",
            r"standort\w*", r"geolokalisierung\b", r"locatie\w*", r"geolocatie\b",
        ),
        "位置|定位|위치",
    ),
    (  # advertising
        (
            r"advertis(ing|ers?|ements?)\b", r"targeted\b",
            r"publicit(é|és|aire|aires|ari[oa]s?)\b", r"publicidad(e)?\b",
            r"pubblicit(à|ari[oea])\b", r"anuncios?\b", r"anúncios?\b", r"ciblée?s?\b",
            r"werbung\b", r"werbe\w*", r"reclame\b", r"adverteerders?\b", r"advertenties?\b",
        ),
        "广告|廣告|広告|광고",
    ),
)  # fmt: skip


def _first_letters(word: str) -> str:
    """The letters an alternative of :data:`_TERMS` can start with."""
    if word.startswith("(?-i:"):
        return word[5]
    if word.startswith("("):
        return "".join(option[0] for option in word[1 : word.index(")")].split("|"))
    return word[0]


def _term_pattern(words: tuple[str, ...], scripts: str) -> str:
    """One term's regular expression: its words at a word's start, or its Chinese,
    Japanese and Korean words anywhere; looked for only where one of their first
    letters stands (a pattern of many words would otherwise try each of them at every
    character of a policy: seven times as slow)."""
    letters = {c for word in words for c in _first_letters(word).lower()}
    letters |= {word[0] for word in scripts.split("|")}
    return rf"(?=[{''.join(sorted(letters))}])(?:\b(?:{'|'.join(words)})|{scripts})"


DEFAULT_KEYWORDS = tuple(_term_pattern(words, scripts) for words, scripts in _TERMS)


@dataclass(frozen=True, slots=True)
class Source:
    """One tracked document."""

    id: str
    name: str
    url: str
    interval: timedelta = timedelta(days=1)
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    enabled: bool = True
    archive_only: bool = False

    def config_hash(self) -> str:
        """A short hash of the settings that change how the page is read."""
        data = json.dumps([self.url, self.select, self.remove], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How pages are fetched."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_retry_after: float = 120.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    concurrency: int = 16
    per_host: int = 2
    #: Seconds before a page whose text changed is fetched again to confirm the change
    #: (lines that differ between the two fetches are not the policy); None: never.
    confirm_after: float | None = 60.0


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where alert and digest emails go out."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password_env: str = "WATCHER_SMTP_PASSWORD"
    sender: str = "watcher@localhost"
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """When alerts are sent."""

    cosmetic: str = "digest"  # digest (no immediate alert) | alert
    failure_threshold: int = 3
    report_url: str | None = None


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """When and to whom the weekly digest goes."""

    schedule: str = "mon 08:00"
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``settings`` block of ``sources.yaml``."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    smtp: SmtpSettings | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    timezone: str = "UTC"
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    log_file: str | None = None
    #: How long the daemon keeps the records of routine checks (``watcher prune``,
    #: daily); None: for ever.
    keep_checks: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """A loaded, validated ``sources.yaml``."""

    path: Path
    sources: tuple[Source, ...]
    settings: Settings = field(default_factory=Settings)

    def source(self, source_id: str) -> Source:
        """The source with this id; :class:`ConfigError` when there is none."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"{self.path}: no source with id '{source_id}'")

    def enabled(self) -> tuple[Source, ...]:
        """The sources that are checked by ``check`` and the daemon."""
        return tuple(s for s in self.sources if s.enabled)

    def recipients(self, source: Source) -> tuple[str, ...]:
        """Who is alerted about changes of ``source``."""
        return source.notify

    def fingerprint(self) -> str:
        """A hash of the whole configuration, to notice when it changed."""
        data = json.dumps([asdict(s) for s in self.sources], default=str, sort_keys=True)
        data += json.dumps(asdict(self.settings), default=str, sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]
