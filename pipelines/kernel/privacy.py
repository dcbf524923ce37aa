"""Pseudonyms for people: annotators and commenters are stored as keyed hashes, never in clear."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata

# A project-wide default keeps demo pseudonyms stable; real projects set their own key.
PSEUDONYM_KEY_ENV = "FRAMECHECK_PSEUDONYM_KEY"


_DEFAULT_KEY = b"framecheck-demo-pseudonyms"


_PSEUDONYM = re.compile(r"(annotator|commenter)-[0-9a-f]{10}")


def pseudonym(identity: object, prefix: str = "annotator") -> str:
    """A keyed hash of an identity; an identity that is already a pseudonym is kept as is."""
    if isinstance(identity, str) and _PSEUDONYM.fullmatch(identity):
        return identity
    key = os.environ.get(PSEUDONYM_KEY_ENV, "").encode() or _DEFAULT_KEY
    digest = hmac.new(key, str(identity).encode("utf-8"), hashlib.sha256).hexdigest()[:10]
    return f"{prefix}-{digest}"


# --- Commenter names in texts -----------------------------------------------------------
#
# A commenter's name must not survive in what is archived or stored, in any spelling a
# comment thread gives it: "Zhang  Wei", "zhang wei", "ZhangWei", "zhang_wei", NFD "Zoë",
# "@ZhangWei", a two-letter "Al", the handle in their channel URL ("youtube.com/@zw_1988",
# "/channel/UC…") or their avatar URL. Names are compared NFC-normalized and case-folded,
# with spaces, dots, underscores and hyphens between their parts optional. Names of one or
# two letters are matched in their exact case only ("Al", not "al" in "et al"); one-letter
# names not at all. Names in Chinese script match inside a run of Chinese text too.

_SEPARATORS = r"[\s._\-]"
_PARTS = re.compile(_SEPARATORS + "+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
# A channel of YouTube (the handle, channel id, custom or user name after the host) and the
# Google hosts that serve avatars; the handle or image id is what identifies the person.
_PROFILE_URL = re.compile(r"(?:https?://)?(?:[\w-]+\.)*(?:youtube\.com|youtu\.be)/"
                          r"(?:@(?P<handle>[^/?#\s\"'<>]+)|(?:channel|c|user)/(?P<id>[^/?#\s\"'<>]+))[^\s\"'<>]*",
                          re.IGNORECASE)
_AVATAR_URL = re.compile(r"(?:https?://)?(?:yt\d\.ggpht\.com|[\w-]+\.googleusercontent\.com)/(?P<image>[^=\s\"'<>]+)[^\s\"'<>]*",
                         re.IGNORECASE)
_URL_TRAILER = ".,;:!?)]}"
_MENTION = re.compile(r"(?<![\w@])@([\w.\-]{2,40})")


def name_key(name: str) -> str:
    """The form two spellings of one name share: NFC, case-folded, no separators, no '@'."""
    return _PARTS.sub("", unicodedata.normalize("NFC", name).casefold()).lstrip("@")


def profile_names(url: str) -> list[str]:
    """What in a commenter's channel or avatar URL names them: the handle, channel id or
    custom name of a YouTube channel URL, the image id of an avatar URL; for another site,
    the URL itself and its last path segment."""
    url = unicodedata.normalize("NFC", url.strip())
    found = []
    for pattern, groups in ((_PROFILE_URL, ("handle", "id")), (_AVATAR_URL, ("image",))):
        match = pattern.match(url)
        if match:
            found += [match.group(g) for g in groups if match.group(g)]
    if not found and "/" in url:
        found = [url, url.rstrip("/").rsplit("/", 1)[-1].lstrip("@")]
    return [name for name in found if name]


def _char_pattern(char: str) -> str:
    folded = char.casefold()
    return re.escape(char) if folded == char.lower() else f"(?:{re.escape(char)}|{re.escape(folded)})"


def _name_pattern(name: str) -> str:
    parts = [part for part in _PARTS.split(name.lstrip("@")) if part]
    body = (_SEPARATORS + "*").join("".join(_char_pattern(c) for c in part) for part in parts)
    start = "" if _CJK.match(parts[0][0]) else r"(?<![\w@])@?"
    end = "" if _CJK.match(parts[-1][-1]) else r"(?!\w)"
    return start + body + end


class NameScrubber:
    """Replaces every known name (any spelling above) by its alias, every channel or avatar
    URL and every @mention by a pseudonym: the alias of the commenter it names, or a keyed
    hash of the handle for someone not in the dump."""

    def __init__(self, aliases: dict[str, str]):
        self.alias_of: dict[str, str] = {}
        folded, exact = [], []
        for name in sorted(aliases, key=lambda n: len(name_key(n)), reverse=True):
            key = name_key(name)
            if len(key) < 2 or key in self.alias_of:
                continue
            self.alias_of[key] = aliases[name]
            (exact if len(key) <= 2 else folded).append(_name_pattern(unicodedata.normalize("NFC", name).strip()))
        self._folded = re.compile("|".join(folded), re.IGNORECASE) if folded else None
        self._exact = re.compile("|".join(exact)) if exact else None

    def _alias(self, name: str) -> str:
        return self.alias_of.get(name_key(name)) or pseudonym(name.lower(), prefix="commenter")

    def _url(self, match: re.Match) -> str:
        url = match.group(0)
        trailer = len(url) - len(url.rstrip(_URL_TRAILER))
        named = next(g for g in match.groups() if g).rstrip(_URL_TRAILER)
        return self._alias(named) + (url[len(url) - trailer:] if trailer else "")

    def _name(self, match: re.Match) -> str:
        return self.alias_of.get(name_key(match.group(0)), match.group(0))

    def _mention(self, match: re.Match) -> str:
        handle = match.group(1)
        return match.group(0) if _PSEUDONYM.match(handle) else "@" + pseudonym(handle.lower(), prefix="commenter")

    def scrub(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        text = _PROFILE_URL.sub(self._url, text)
        text = _AVATAR_URL.sub(self._url, text)
        for pattern in (self._folded, self._exact):
            if pattern is not None:
                text = pattern.sub(self._name, text)
        return _MENTION.sub(self._mention, text)
