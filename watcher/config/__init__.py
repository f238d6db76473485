"""Reading and validating ``sources.yaml``.

:func:`load` returns a :class:`Config` or raises :class:`ConfigError` with one
line naming the file, the line and the source at fault. Nothing else in
watcher reads YAML. :mod:`.settings` holds the data, :mod:`.yamlfile` the
reading and :mod:`.validate` the checks.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import ConfigError
from .settings import (
    DEFAULT_KEYWORDS,
    DEFAULT_USER_AGENT,
    AlertSettings,
    Config,
    DigestSettings,
    FetchSettings,
    Settings,
    SmtpSettings,
    Source,
)
from .validate import (
    check_schedule,
    check_selector,
    check_url,
    parse,
    parse_duration,
    parse_size,
    source_id_for,
    source_id_or_error,
)
from .yamlfile import read_yaml

__all__ = [
    "DEFAULT_KEYWORDS",
    "DEFAULT_USER_AGENT",
    "STARTER",
    "AlertSettings",
    "Config",
    "ConfigError",
    "DigestSettings",
    "FetchSettings",
    "Settings",
    "SmtpSettings",
    "Source",
    "check_schedule",
    "check_selector",
    "check_url",
    "load",
    "parse",
    "parse_duration",
    "parse_size",
    "source_id_for",
    "source_id_or_error",
]

log = logging.getLogger(__name__)


def load(path: str | Path) -> Config:
    """Read and validate ``sources.yaml`` at ``path``."""
    path = Path(path)
    config = parse(read_yaml(path), path)
    log.debug("loaded %s: %d sources", path, len(config.sources))
    return config


STARTER = """\
# watcher: what to track. See README.md ("sources.yaml") for every key.
defaults:
  interval: 1d            # how often each source is checked (30m, 12h, 1d, 1w)
  notify: []              # who gets an email when a policy changes

settings:
  timezone: UTC
  fetch:
    user_agent: "watcher/0.1 (policy change tracker)"
    timeout: 30s
    retries: 3
  # smtp:
  #   host: smtp.example.org
  #   port: 587
  #   security: starttls
  #   user: alerts@example.org     # the password comes from $WATCHER_SMTP_PASSWORD
  #   sender: alerts@example.org
  digest:
    schedule: "mon 08:00"
    recipients: []

sources:
  - id: managedconnect
    name: ManagedCONNECT Privacy Policy (CITIC Telecom CPC)
    url: https://mc.citictel-cpc.com/privacy_policy/privacy-policy_cpc_en.html
    tags: [telecom]
  - id: chinacache
    name: ChinaCache Privacy Policy
    url: https://en.chinacache.com/privacy-policy/
    tags: [cdn]
  - id: connect-managed-services
    name: Connect Managed Services (UK) Privacy Policy
    url: https://www.conn3ct.com/privacy-policy-0
    tags: [telecom, uk]
  - id: ntt-com-china
    name: NTT Com China Privacy Policy
    url: https://www.ntt.com.cn/jp/index/privacy
    tags: [telecom]
  - id: cig-shanghai
    name: CIG Shanghai Privacy and Cookies Statement
    url: https://www.cigtech.com/Privacy
    tags: [network-equipment]
"""
