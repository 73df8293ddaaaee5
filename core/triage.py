"""Emergency triage, before and independent of retrieval or any model (pure).

A message describing an emergency happening now (cardiac arrest, not breathing, anaphylaxis in
progress, stroke signs, suicidal intent, overdose) gets an immediate fixed reply with the
emergency numbers. A knowledge question that merely names the condition ("dose d'adrénaline dans
l'anaphylaxie ?") is not an emergency: clinicians ask those all day, and they get an answer.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from core.text import fold


class Emergency(enum.StrEnum):
    CARDIAC_ARREST = "cardiac_arrest"
    ANAPHYLAXIS = "anaphylaxis"
    STROKE = "stroke"
    SUICIDE = "suicide"
    OVERDOSE = "overdose"


# Phrases that describe an emergency by themselves (matched on accent-folded lower case).
_ACUTE: dict[Emergency, tuple[str, ...]] = {
    Emergency.CARDIAC_ARREST: (
        r"ne respire (plus|pas)",
        r"respire plus",
        r"(n'a|n a) (plus|pas) de pouls",
        r"pas de pouls",
        r"(est|en|fait un) arret cardi",
        r"inconscient et ne respire",
        r"not breathing",
        r"stopped breathing",
        r"isn'?t breathing",
        r"no pulse",
        r"(is in|in|having a|went into) cardiac arrest",
        r"collapsed and (is )?unresponsive",
    ),
    Emergency.ANAPHYLAXIS: (
        r"(fait|fait un|en) choc anaphylactique",
        r"anaphylaxie en cours",
        r"(gorge|langue|levres?) (qui )?gonfle",
        r"gonfle et (respire|n'arrive)",
        r"(is having|having an?|in) anaphyla",
        r"throat is (closing|swelling)",
        r"(tongue|lips|face) (is )?swelling (up )?(and|after)",
    ),
    Emergency.STROKE: (
        r"(fait|est en train de faire|fait peut-etre) un avc",
        r"visage (qui )?se paralyse",
        r"(bouche|visage) (de travers|deforme)e? (depuis|tout d'un coup|soudain)",
        r"(is having|having|just had) a stroke",
        r"face (is )?drooping (and|since|suddenly)",
        r"(ne peut|n'arrive) plus (a )?parler (depuis|soudain|tout)",
    ),
    # First person or happening now: "patient suicidaire : quelle surveillance ?" is a question.
    Emergency.SUICIDE: (
        r"\bme suicider",
        r"(veut|va) se suicider",
        r"(envie de|veux|veut|vais|va) mourir",
        r"en finir avec (la|ma|sa) vie",
        r"(j'ai|j ai) des idees (suicidaires|noires)",
        r"(kill|killing) (myself|himself|herself|themselves)",
        r"(want|wants|going) to die",
        r"end (my|his|her|their) life",
        r"\bi('?m| am) suicidal",
        r"(threatening|about) to jump",
    ),
    Emergency.OVERDOSE: (
        r"(a|j'ai|il a|elle a) (avale|pris) (toute la|toute une|une) boite",
        r"(a|j'ai|il a|elle a) (avale|pris) \d+ (comprimes|cachets|gelules)",
        r"(fait|en) (une )?(overdose|surdose)",
        r"(took|swallowed|has taken) (an? )?(overdose|"
        r"the whole (box|bottle)|\d+ (pills|tablets))",
        r"(has )?overdosed",
    ),
}
# A knowledge question about a condition is not an emergency, even with an acute-sounding verb.
_QUESTION_OPENERS = re.compile(
    r"^(quelle?s?|quel|comment|que faire|conduite a tenir|cat|what|how|which|when|dose|"
    r"posologie|traitement|treatment|management|prise en charge)\b"
)
_PATTERNS = {kind: [re.compile(p) for p in phrases] for kind, phrases in _ACUTE.items()}


@dataclass(frozen=True, slots=True)
class EmergencyNumbers:
    emergency: str = "15 (SAMU)"
    european: str = "112"
    suicide: str = "3114"


def detect(text: str) -> Emergency | None:
    """The emergency a message describes, or None."""
    folded = fold(" ".join(text.split())).replace("’", "'")
    for kind, patterns in _PATTERNS.items():
        if any(p.search(folded) for p in patterns):
            if kind is not Emergency.SUICIDE and _QUESTION_OPENERS.match(folded):
                continue  # "que faire si un patient ne respire plus ?" asks for a protocol
            return kind
    return None
