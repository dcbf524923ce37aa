"""Helpers for the Label Studio tests: a small claims table, annotator results, file digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from annotation.labels import evidence_result
from pipelines.kernel.io import DataDir, write_records
from pipelines.kernel.records import (
    Claim,
    CueSpan,
    EvidenceCandidate,
    article_id_for,
    claim_id_for,
)

SCRIPT_TEXT = "The <script>alert(1)</script> blacklist bans every citizen from trains, says one report."

_TEXTS = [
    ("https://news.example.com/scs/1", "en", "western",
     "China's social credit system scores all 1.4 billion citizens with a single number, like an episode of Black Mirror.",
     "Critics call it Orwellian.", "Officials deny it."),
    ("https://news.example.com/scs/2", "en", "western",
     "Courts in China have put millions of debt defaulters on a blacklist that bars them from buying plane tickets.",
     "The list is run by the Supreme People's Court.", "Defaulters can be removed after paying."),
    ("https://news.example.com/scs/3", "en", "western", SCRIPT_TEXT,
     "An <b>untrusted</b> page & its \"quotes\".", "More text <img src=x onerror=alert(2)>."),
    ("https://xinhua.example.cn/scs/4", "en", "chinese",
     "The social credit system only builds trust between businesses, just like a credit score.",
     "Xinhua explained the policy.", "Experts agree."),
    ("https://xinhua.example.cn/scs/5", "zh-Hans", "chinese",
     "社会信用体系建设规划纲要于2014年由国务院印发。", "新华社报道。", "专家表示支持。"),
]


def cue_spans(text: str) -> tuple[CueSpan, ...]:
    spans = []
    for needle, label in (("Black Mirror", "dystopia_reference"), ("all 1.4 billion citizens", "sweeping_generalization"),
                          ("every citizen", "sweeping_generalization"), ("just like a credit score", "benign_frame"),
                          ("blacklist", "loaded_word")):
        at = text.find(needle)
        if at >= 0:
            spans.append(CueSpan(at, at + len(needle), label, needle))
    return tuple(sorted(spans, key=lambda s: s.start))


def make_claims(n_copies: int = 1) -> list[Claim]:
    claims = []
    for url, lang, camp, text, before, after in _TEXTS:
        article = article_id_for(url)
        claims.append(
            Claim(
                claim_id=claim_id_for(article, 0, len(text)),
                article_id=article,
                start=0,
                end=len(text),
                text=text,
                context_before=before,
                context_after=after,
                language=lang,
                checkworthiness=0.8,
                outlet_id="xinhua" if camp == "chinese" else "example_news",
                camp=camp,
                published="2019-05-01",
                url=url,
                cues=cue_spans(text),
                evidence_candidates=(EvidenceCandidate("F01", 0.9), EvidenceCandidate("F02", 0.5), EvidenceCandidate("F03", 0.2)),
            )
        )
    return claims


def write_claims_table(root: Path, claims: list[Claim] | None = None) -> DataDir:
    data = DataDir(root)
    write_records(data.table("claims"), claims if claims is not None else make_claims(), Claim)
    return data


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path (the data directory's lock file,
    state/.lock, is not an output: every run holds it)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() != "state/.lock"}


# --- a live server -------------------------------------------------------------------------


def sdk(url: str, token: str):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url, api_key=token, timeout=120)


def create_annotator(url: str, admin_token: str, email: str, password: str) -> str:
    """A new annotator as the Community edition adds one: the admin fetches the invite link
    through the API (/api/invite), the annotator signs up with it and reads their own API
    token (/api/current-user/token). Returns that token."""
    import httpx

    invite = httpx.get(f"{url}/api/invite", headers={"Authorization": f"Token {admin_token}"}, timeout=30)
    invite.raise_for_status()
    signup = invite.json()["invite_url"]
    with httpx.Client(base_url=url, timeout=60) as session:
        session.get(signup).raise_for_status()
        reply = session.post(signup, data={"email": email, "password": password,
                                           "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                             headers={"Referer": f"{url}{signup}"})
        assert reply.status_code == 302, f"signup of {email} failed: HTTP {reply.status_code}"
        token = session.get("/api/current-user/token")
        token.raise_for_status()
        return token.json()["token"]


def choices(name: str, *values: str) -> dict:
    return {"from_name": name, "to_name": "claim", "type": "choices", "value": {"choices": list(values)}}


def labels_result(checkworthy: str, verdict: str | None = None, distortion: str | None = None,
                  evidence: tuple[str, ...] = (), frames: tuple[str, ...] = (), rationale: str = "") -> list[dict]:
    result = [choices("checkworthy", checkworthy)]
    if verdict:
        result.append(choices("verdict", verdict))
    if distortion:
        result.append(choices("distortion", distortion))
    if evidence:
        result.append(evidence_result("evidence", list(evidence)))
    if frames:
        result.append(choices("frames", *frames))
    if rationale:
        result.append({"from_name": "rationale", "to_name": "claim", "type": "textarea", "value": {"text": [rationale]}})
    return result
