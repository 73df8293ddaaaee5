"""The words the emergency triage reads (core/triage.py), on accent-folded lower case with ' for
every apostrophe: events, conditions and signs by kind of emergency, and the cues around them
(now, a generic question, negation, history). French and English side by side."""

from __future__ import annotations

import re
from typing import Any


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


# Pieces shared by several kinds.
_ME = r"(?:me|m')"
# Saying one will do it, and the ways people say they will die.
_INTENT = _any(
    r"(?:going|gonna|wants?|wanted|plans?|planning|threaten(?:s|ed|ing)?|about) to",
    r"(?:vais|va|vas|veux|veut|voulait|compte|menace de|menace d'|projette de|allait)",
    r"(?:thinking|thinks|thought) (?:about|of)|(?:pense|pensait|penser|songe) a|se voit|se voyait",
)
_METHOD = _any(
    r"(?:driv(?:e|ing)|crash(?:ing)?|steer(?:ing)?) (?:\w+ ){0,2}(?:into|off)",
    r"(?:jump(?:ing)?|throw(?:ing)? (?:himself|herself|myself|themselves)) (?:off|from|in front|"
    r"under)",
    r"(?:hang|drown|shoot|gas|electrocute)(?:ing)? (?:himself|herself|myself|themselves)",
    r"(?:s'|se |me |m')(?:noyer|jeter|pendre|tirer dessus|electrocuter|immoler)",
    r"(?:jeter|foutre|mettre|lancer|balancer|throw|put) (?:\w+ )?(?:sous|under|in front of) "
    r"(?:un|une|le|la|a|the) (?:train|metro|tram|rer|bus|camion|voiture|truck|lorry|car)",
    r"foncer (?:dans|contre) (?:un|une|le|la)",
    r"sauter (?:du|d'un|de la|par|sous)",
    r"jump\b(?! (?:in|on|to|at|the|a|ahead|start)\b)",
)
# "me tuer", not "ça va me tuer" (a way of speaking).
_ME_KILL = rf"(?<!va )(?<!vont )(?<!ca )(?<!vas ){_ME} tuer"
_SELF_EN = r"(?:myself|himself|herself|themselves)"
_POSS = r"(?:my|his|her|their)"
_CHILD = _any(
    r"(?:mon|ma|le|la|notre) (?:fils|fille|enfant|bebe|petite?|nourrisson|petit-fils|"
    r"petite-fille)",
    r"l'enfant",
    r"\d+ (?:ans|mois)\b",
    r"(?:my|our|a|the) (?:son|daughter|child|kid|toddler|baby|infant|teenager)",
    r"(?:mon|ma|notre|l') ado(?:lescente?)?\b",
    r"\d+[- ](?:year|month)[- ]old",
    r"(?:my|our|a|the|his|her) \d+ ?(?:yo|y/o|yr old|year old)\b",
)
# Household products and objects a child swallows: a poisoning whatever the amount.
_HOUSEHOLD = (
    r"javel",
    r"destop",
    r"soude",
    r"caustique",
    r"lessive",
    r"bleach",
    r"batter(?:y|ies)",
    r"piles?(?: bouton)?\b",
    r"aimants?|magnets?",
    r"under the sink|sous l'evier|cleaning products?|produits menagers",
    r"laundry|dishwasher|tide pod|dosettes? de lessive|capsules? de lessive",
    r"detergent",
)
_SUBSTANCE = _any(
    r"comprimes?",
    r"cachets?",
    r"gelules?",
    r"pilules?",
    r"medicaments?",
    r"\d+ ?cp\b",
    r"plaquettes?",
    r"boite",
    r"flacon",
    r"sirop",
    r"produit",
    r"pack(?:et)?s?",
    r"box(?:es)?",
    r"bottles?",
    r"strips?",
    r"blisters?",
    r"pastilles?",
    r"pills?",
    r"tablets?",
    r"capsules?",
    r"medicines?",
    *_HOUSEHOLD,
    r"methadone",
    r"heroine?",
    r"cocaine|crack|ecstasy|mdma|ghb|fentanyl|ketamine",
    r"opio",
    r"piluliers?|pill (?:organi[sz]er|box)|dosette box|semainier",
    r"insulin|insuline",
    # the drugs most often taken in overdose, by name
    r"paracetamol|doliprane|dafalgan|efferalgan|acetaminophen|tylenol|ibuprofen\w*|aspirine?|"
    r"tramadol|codeine|morphine|oxycodone|oxycontin|lexomil|xanax|valium|seresta|temesta|"
    r"stilnox|zolpidem|imovane|zopiclone|amitriptyline|laroxyl|lithium|anxiolytiques?|"
    r"somniferes?|antidepresseurs?|benzos?|painkillers?|sleeping (?:pills|tablets)|"
    r"antidepressants?|digoxine?|metformine?",
)
_QUANTITY = _any(
    r"\b(?:[5-9]|[1-9]\d+)\b(?! ?(?:mg|g|mcg|ml|grammes?|milligrammes?)\b)",
    r"~?\b(?:[5-9]|[1-9]\d+) ?x\b",  # "~40x paracetamol 500mg"
    r"several|plusieurs|il en manque|(?:some|a few|several) (?:are|were|of them) missing",
    r"tous (?:mes|ses|les|leurs)|toutes (?:mes|ses|les|leurs)|all (?:my|his|her|their)",
    r"tout(?:e|es)? (?:la|le|sa|son|ses|une)",
    r"(?:the )?whole",
    r"handful",
    r"all (?:of )?(?:the|his|her|my)",
    r"a lot of",
    r"(?:une )?dose (?:enorme|massive)",
    r"trop de",
    r"too many",
    r"(?:a |the )?(?:load|loads|lot|lots|bunch|heaps?|tons?) of",
    r"(?:un tas|plein|la moitie|une dizaine|une vingtaine|une trentaine) d(?:e |')",
    r"half (?:a|the|of)",
    r"d'un (?:seul )?coup|all at once|in one go",
    r"\b(?:[2-9]|\d\d+|deux|trois|quatre|cinq|plusieurs) (?:boites|plaquettes|flacons|packets|"
    r"boxes|bottles|strips|blisters)\b",
)
# A whole word: not the "ate" of "date of birth", "heart rate", "bicarbonate".
_INGESTED = r"\b" + _any(
    r"(?:a|ai|as|ont) (?:avale|bu|mange|ingere|pris|croque|lech[ee])",
    r"s'est (?:injecte|administre)",
    r"(?:swallowed|drank|ate|ingested|ingesting|swallowing|drinking|took|taking|has taken|taken|"
    r"chewed|got into|got hold of|"
    r"injected)",
    r"(?:a|ont) trouve",
    r"(?:a|ai|as|ont) (?:sniffe|fume|inhale)|snorted|smoked",
)
# Swallowing (not eating) so much of something that its name does not matter.
_SWALLOWED_SO_MUCH = (
    r"(?:(?:a|ai|as|ont) (?:avale|pris|ingere|sniffe)|s'est injecte|swallowed|took|has taken|"
    r"ingested|snorted|injected) (?:\w+ ){0,2}(?:une poignee|enormement|a handful|handfuls|"
    r"a (?:massive|huge) amount|massive amounts)"
)
_TOXIC = _any(
    *_HOUSEHOLD,
    r"lave-vaisselle",
    r"produit (?:menager|vaisselle|d'entretien)",
    r"white[- ]spirit",
    r"essence",
    r"petrole",
    r"antigel",
    r"insecticide",
    r"pesticide",
    r"raticide",
    r"mort[- ]aux[- ]rats",
    r"champignons?",
    r"alcool a bruler",
    r"ammoniaque",
    r"\bacide\b",
    r"antifreeze",
    r"weedkiller",
    r"rat poison",
    r"mushrooms?",
    r"paraffin",
    r"lamp oil",
)
_UNITS = (
    r"(?:min|minutes?|h|heures?|hours?|ans|years?|jours?|days?|semaines?|weeks?|mois|months?|"
    r"mg|g|ml|kg|mcg|ui|iu|units?|puffs?|bouffees?|gouttes?|drops?|sachets?|fois|times)"
)
# Doing the condition, now: "il fait une hémorragie", "she is having an asthma attack".
DOING = (
    r"(?:fait|fait un|fait une|faire un|faire une|est en train de faire|is having|are having|"
    r"having|has got) (?:an? |un |une )?(?:(?!des\b|de\b|du\b)\w+ )?"
)

# Each kind: events (enough by themselves), conditions (need a cue that it is happening now),
# and groups of plain-word signs (two groups, or one with an onset time).
EVENTS: dict[str, tuple[str, ...]] = {
    "suicide": (
        rf"{_ME} (?:suicider|pendre|tirer une balle|defenestrer|foutre en l'air)",
        _ME_KILL,
        rf"{_ME} jeter (?:sous|du|d'un|par|dans)",
        r"se (?:suicider|tuer|pendre|tirer une balle|foutre en l'air|jeter (?:sous|du|d'un|par))",
        r"sauter (?:du|d'un|par la|de la|sous) (?:pont|fenetre|toit|balcon|train|falaise)",
        r"en (?:finir|terminer)\b(?! avec (?!(?:la|ma|sa|leur) vie))",
        r"(?:planning|plans?|going|want|wants|decided) to (?:overdose|od\b|take (?:all|every))",
        r"(?:vais|veux|compte|va|veut) (?:avaler|prendre) (?:tous|toutes|toute|tout) "
        r"(?:mes|ses|la|le)",
        r"mettre fin a (?:mes|ses|ma|sa|leurs?) (?:jours|vie)",
        r"(?:plus|pas|aucune|plus aucune) (?:envie|la force|le courage|(?:de )?raisons?) de vivre",
        r"(?:don't|do not|doesn't|does not) want to wake up|(?:veux|veut|voudrais|voulait) (?:plus|"
        r"pas|ne plus|ne pas) (?:me |se )?reveiller|dormir pour (?:toujours|de bon)",
        r"(?:veux|veut|voulait|voudrais|envie de) plus vivre",
        rf"(?:{_ME}|se) faire du mal",
        r"lettre d'adieu|dit adieu|(?:goodbye|suicide|farewell) (?:note|letter|message)",
        rf"(?:hurt|harm|cut)(?:ing)? {_SELF_EN}",
        # a blade held to oneself: "j'ai la lame sur le poignet", "razor against my wrist"
        r"(?:lame|rasoir|couteau|cutter|razor|blade|knife) (?:\w+ ){0,3}(?:sur|contre|on|against|"
        r"to|at) (?:le |la |les |mon |ma |mes |my |his |her |the )?(?:poignets?|veines?|gorge|"
        r"wrists?|veins?|throat)",
        r"self-harm(?:ing)? (?:now|tonight|again)",
        r"(?:envie de|veux|veut|voulait|voudrais) mourir",
        r"disparaitre pour (?:de bon|toujours)",
        # not wanting to be there any more, leaving for good
        r"(?:veux|veut|voudrais|voulait|envie de) (?:plus|pas|ne plus) (?:etre la|exister)|"
        r"(?:partir|partais|partait|parte) pour (?:de bon|toujours)|"
        r"(?:don't|do not|doesn't|does not) want to (?:be here|exist) any ?more",
        r"a quoi bon (?:vivre|continuer)",
        r"(?:sert|servirait) a rien (?:de|que je) (?:continuer|continue|vivre|vive)|"
        r"(?:no|what's the) point (?:in |of )?(?:me )?(?:going on|carrying on|living)|"
        r"(?:arrete|arreter|stop) (?:tout|everything) (?:pour de bon|for good)",
        r"(?:je suis|il est|elle est|suis) suicidaire",
        r"(?:j'ai|il a|elle a) des idees (?:suicidaires|noires)",
        rf"kill(?:ing)? {_SELF_EN}",
        rf"hang(?:ing)? {_SELF_EN}",
        r"end(?:ing)? it all",
        rf"(?:end|take|ending|taking) {_POSS} (?:own )?life",
        r"(?:want|wants|wanted|going|gonna|about) to die|wanna die",
        r"\bkms\b|\bkys\b",
        r"done with (?:life|living)",
        r"(?:cut|slit|slashed) (?:my|his|her|their) wrists?",
        r"(?:ouvert|ouvrir|taillade|tailler|couper|coupe|entaille) (?:les|ses|mes) (?:veines|"
        r"poignets)",
        r"\bligature\b|noeud coulant|\bnoose\b",
        # the wound as a state: "ses poignets ouverts", "wrists slashed"
        r"(?:poignets?|veines|wrists?) (?:\w+ )?(?:ouverte?s?|coupee?s?|taillade(?:e|es|s)?|"
        r"slashed|slit|cut open)",
        # an intention and a way to die: "going to drive his car into a wall", "va se noyer"
        rf"{_INTENT} (?:\w+ ){{0,2}}{_METHOD}",
        r"envie de crever|veux crever|vais crever",
        r"(?:me|se|te) buter\b",
        r"(?:vais|va|allait|veux|veut) sauter (?:ce soir|maintenant|du|d'un|par|de la|sous)",
        r"(?:marre|assez) de (?:vivre|la vie)",
        r"(?:je suis|i'm|i am) (?:sur le|on the|au bord du) (?:pont|bridge|toit|roof|ledge|rebord|"
        r"balcon|quai)",
        r"\bvais sauter$|going to jump$",
        r"(?:plus )?que la mort|only death|better dead|mieux mort",
        r"rope (?:is )?ready|corde (?:est )?prete|(?:prepare|achete|bought|got) (?:une|la|a) "
        r"(?:corde|rope)",
        r"(?:don't|do not|doesn't|does not|can't|cannot) (?:want to live|see the point)",
        r"no (?:point|reason) (?:in |to )?(?:living|go on|going on)",
        r"can'?t go on",
        r"better off (?:dead|without me|if i (?:was|were) dead)",
        r"(?:i'm|i am|he's|he is|she's|she is|feeling) suicidal",
        r"jump (?:off|from|in front)",
        # saying one will not be there: "je serai plus là demain", "won't be here tomorrow"
        r"(?:won't|will not|wont) be (?:here|around|alive)\b(?! (?:for|on|at|until|till|next)\b)|"
        r"(?:serai|sera|serais) (?:plus|pas) (?:la|en vie|vivante?)\b(?! (?:pour|a|au|lundi|"
        r"mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b)|if i (?:was|were|am) gone|"
        r"(?:jamais|plus jamais|ne plus|ne jamais) (?:me |se )?reveiller|"
        r"(?:never|not) (?:to )?wake (?:up )?again|sleep (?:and|forever)(?: never)? (?:wake|"
        r"forever)",
        # wanting it all to stop; a plan; the means ready
        r"(?:wants?|want|wanted) (?:it all|everything) to (?:stop|end)|veut que tout s'arrete|"
        r"(?:prevu|decide|planned|decided|plan) (?:de |d'|to )(?:tout arreter|en finir|mourir|"
        r"end it|die|stop everything)|(?:cachets|comprimes|medicaments|pills|tablets|meds|corde|"
        r"rope|lames?|knife) (?:\w+ )?(?:sont|est|are|is) (?:prete?s?|ready|lined up)",
        # goodbyes and preparations
        r"stockpil|saving (?:up )?(?:my |his |her |their )?(?:pills|meds|tablets)|"
        r"(?:mis|met|mettre|garde) de cote (?:des|ses|mes) (?:medicaments|cachets|comprimes)|"
        r"(?:lettres?|mots?) (?:d'adieu|pour (?:mes|ses|leurs) (?:enfants|proches|parents))|"
        r"(?:texted|said|sent|wrote|written|saying) (?:\w+ ){0,2}goodbyes?\b|"
        r"(?:m'a|a|ai|lui ai) dit adieu|(?:giving|gave|given|donne) (?:\w+ ){0,2}(?:things|stuff|"
        r"belongings|affaires) away|(?:tonight|today|ce soir) (?:is|c'est|est) (?:the night|"
        r"the day|"
        r"le soir|le jour)|de quoi (?:en finir|mourir|me tuer|se tuer)",
        # an attempt: "a tenté de s'étrangler", "tried to hang himself"
        r"(?:tente|essaye|essaie|essaye|tried|attempted|trying|tries) (?:de |d'|to )(?:s'|se |me |"
        r"m')?"
        r"(?:etrangler|pendre|tuer|suicider|jeter|noyer|ouvrir les veines|defenestrer|"
        r"hang|strangle|kill|cut (?:his|her|my|their)|drown|overdose|jump|end)",
    ),
    "cardiac_arrest": (
        r"ne respire (?:plus|pas)\b(?! bien)",
        r"ne respire (?:presque|quasiment) plus",
        r"\brespir\w* plus\b",
        r"(?:plus|pas|aucune?) de (?:pouls|respiration|signe de vie)",
        r"flat-?lin",
        r"respiration agonique|gasps? agoniques?|agonal (?:breathing|gasps?)",
        r"(?:s'effondre|s'est effondre|collapsed|collapses) (?:\w+ ){0,3}(?:ne repond plus|"
        r"inconscient|unresponsive|ne respire)",
        r"no (?:signs of life|breathing|output)\b(?! (?:issues?|problems?|difficult\w*|trouble|"
        r"concerns?|complaints?|symptoms?))",
        # ward shorthand: "no resp no pulse rm 14"
        r"\bno (?:resp|resps|respirations?|respiratory effort)\b(?! (?:distress|issues?|problems?|"
        r"compromise|symptoms?|concerns?|difficult\w*|rate|support|failure|depression))",
        r"(?:without|sans) (?:a |un |de )?pouls|without a pulse|pouls (?:absent|imprenable)",
        r"\bshocking\b|on choque\b",
        r"(?:est|en|fait un|faire un) (?:arret|acr)\b",
        r"\ben (?:asystolie|fv|tv sans pouls|dissociation|aesp|rythme non choquable)",
        r"(?:on|a) (?:a )?(?:deja )?choque",
        r"\bon masse\b",
        r"(?:mce|rcp|massage|reanimation) (?:en cours|debute|commence)",
        r"(?:on lance|on commence|debut) (?:la rea|le massage|le mce|la rcp)",
        r"(?:en pleine|en cours de|pendant la) (?:rea|reanimation|rcp|mce)\b",
        r"(?:not|isn't|isnt|stopped|wasn't|is not) breathing\b(?! through| well)",
        r"pulseless",
        r"no pulse\b(?! ?ox\w*| probes?| sats?\b)",  # not the pulse oximeter
        r"(?:sens|sent|sentons|trouve|feel|find|palpe) (?:\w+ )?(?:pas|plus|no|any|rien) "
        r"(?:de |son |sa |le |au |his |her |a )?(?:pouls|pulse)\b",
        r"\b(?:is in|went into|gone into|into|having a) cardiac arrest",
        r"\barrested\b",
        r"code blue",
        # ward slang: "bed 6 just coded", "we're still coding him"
        r"\b(?:just|has|have|is|are|was|still|he's|she's|pt|patient) cod(?:ed|ing)\b",
        r"collapsed and (?:is )?unresponsive",
        r"(?:cpr|compressions|resus) (?:in progress|ongoing|started|underway)",
        r"(?:started|doing|starting) (?:cpr|compressions)",
        r"(?:went into|in) (?:vf|vt|asystole|pea)\b",
        r"shocked (?:once|twice|\w+ times)",
    ),
    "anaphylaxis": (
        r"(?:fait|fait un|faire un|en) (?:choc|oedeme de quincke|reaction anaphylactique)",
        r"(?:gorge|langue|levres?|bouche) (?:qui )?(?:gonfle|serre|enfle)",
        r"gonfle de partout",
        r"(?:is having|having|is in|went into|going into|into) (?:an? )?anaphyla",
        r"(?:throat|tongue|lips?|mouth) (?:is |are |feels )?(?:closing|swelling|swollen|tight)",
        r"reacting to",
        # its rescue treatment had to be used: "used her EpiPen", "stylo d'adrénaline fait"
        r"(?:used|gave|given|give|utilise|fait|injecte) (?:\w+ ){0,2}(?:epipen|anapen|jext|"
        r"auto-?inject\w*|stylo d'adrenaline)",
    ),
    "overdose": (
        rf"{_INGESTED} (?:\w+ ){{0,3}}{_QUANTITY} (?:\w+ ){{0,4}}?{_SUBSTANCE}",
        rf"{_CHILD} (?:\w+ ){{0,5}}{_INGESTED} (?:\S+ ){{0,5}}?{_SUBSTANCE}",
        rf"{_INGESTED} (?:[^\s']+['\s]){{0,4}}?{_TOXIC}",
        _SWALLOWED_SO_MUCH,
        # taken so much of anything that its name does not matter: "a load of his dad's tramadol"
        rf"{_INGESTED} (?:\w+ ){{0,2}}(?:a |the )?(?:load|loads|lot|lots|bunch|heaps?|tons?) of",
        rf"{_INGESTED} (?:\w+ ){{0,2}}(?:un tas|plein|la moitie|une dizaine|une vingtaine) d",
        r"(?:pris|took|taken|given|donne|recu|avale|swallowed) (?:\w+ ){0,5}"
        r"(?:double dose|dose double)",
        r"(?:respire|inhale|inhaled|breathed in) (?:\w+ ){0,2}"
        r"(?:vapeurs?|fumees?|fumes|gaz|gas|smoke)",
        rf"{_INGESTED} (?:\w+ ){{0,2}}(?:[5-9]|[1-9]\d+) (?!{_UNITS}\b)[a-z]",
        r"(?:intox\w*|ingestion|tentative de suicide) (?:\w+ )?(?:volontaire|aigue|"
        r"medicamenteuse)|deliberate (?:overdose|ingestion|poisoning)",
        r"(?:fait|en) (?:une )?(?:overdose|surdose)",
        # many times the dose: "10 fois la dose", "ten times the prescribed dose"
        r"(?:\d+|deux|trois|quatre|cinq|dix|cent) fois (?:la|sa|son|ses|leur) (?:dose|traitement|"
        r"medicaments?|comprimes?)|"
        r"(?:\d+|two|three|four|five|ten|a hundred) ?(?:x|times) (?:the|his|her|their|a) "
        r"(?:\w+ )?dose",
        r"(?:took|taken|has had) an? (?:overdose|od)\b",
        r"\boverdos(?:ed|ing)\b|\bod'?(?:e?d)\b",
        r"prise (?:\w+ )?(?:en exces|excessive|massive)|(?:excessive|massive) (?:ingestion|intake)",
        # "a trop tapé dans la coke", "overdid the ket"
        r"(?:trop (?:tape|pris|abuse|force|fume|sniffe)|overdid(?: it)?|went too hard) "
        r"(?:\w+ ){0,3}(?:coke|cocaine|crack|heroine?|ghb|mdma|ecstasy|\bmd\b|ketamine|\bket\b|"
        r"speed|meth|fentanyl|came|cachets|pills)",
    ),
    "bleeding": (
        r"saigne (?:enormement|abondamment|beaucoup|a flots?|sans arret|de partout|comme)",
        # bleeding and how much: "ça saigne fort", "bleeding like crazy"
        r"(?:saigne|saignent|saignement|bleeds?|bleeding) (?:\w+ )?(?:fort|grave|trop|a mort|"
        r"vraiment beaucoup|tres fort|non-stop|like crazy|loads|so much|really badly|buckets)\b",
        r"(?:ca|le sang) gicle",
        r"pisse le sang",
        r"(?:vomit|crache|tousse|perd) (?:\w+ ){0,2}(?:du|de) sang",
        r"saignement (?:\w+ ){0,3}(?:abondant|massif|incontrolable|qui ne s'arrete pas)",
        r"haemorrhaging|hemorrhaging|hemorragie active|saigne activement|actively bleeding",
        r"sang partout|blood (?:everywhere|all over)",
        r"\bspurting\b|pulsatile bleed|uterus (?:atone|mou)|atonie uterine|uterine atony|"
        r"boggy uterus",
        r"soaking (?:through )?(?:a |one )?(?:pad|towel|dressing)|"
        r"(?:trempe|traverse) (?:une|les|sa) (?:protection|serviette|compresse|pansement)",
        r"hemorragie (?:\w+ )?(?:massive|incontrolable|cataclysmique)",
        r"bleeding (?:heavily|profusely|badly|a lot|everywhere|out)",
        r"(?:won't|will not|doesn't|does not) stop bleeding",
        r"(?:bleed\w*|saign\w*|hemorrag\w*|epistaxis) (?:\w+ ){0,2}(?:won't|will not|doesn't|"
        r"does not) stop|(?:saign\w*|sang) (?:\w+ ){0,2}(?:ne s'arrete (?:pas|plus)|"
        r"(?:sans|qui n'arrete pas de) s'arreter)",
        r"losing (?:a lot of|lots of|so much) blood",
        r"(?:pumping|spurting|pouring|gushing) (?:out )?blood|blood (?:is )?(?:pumping|spurting|"
        r"pouring|gushing)|(?:saigne|sang) a gros bouillons",
        r"(?:coughing|vomiting|throwing) (?:up )?(?:\w+ ){0,3}blood",
        r"(?:arterial|massive|uncontrolled|torrential) (?:bleed|bleeding|haemorrhage|hemorrhage)",
        r"(?:passe|traverse|passent|traversent) (?:a travers )?(?:\w+ ){0,2}(?:compresses|"
        r"pansements?|"
        r"serviettes?|protections?|draps?|champs)",
        r"(?:bleeding|bled|bleeds|soaked|soaking|saigne|traverse) (?:right )?through (?:\w+ ){0,2}"
        r"(?:dressings?|pads?|towels?|bandages?|gauzes?|sheets?|compresses?)",
        # the other way round: "dressing soaked through", "pansement traversé"
        r"(?:dressings?|pads?|towels?|bandages?|sheets?|pansements?|compresses?|draps?) "
        r"(?:\w+ ){0,2}(?:soaked|saturated|trempes?|traverses?|imbibes?)\b",
        r"(?:haematoma|hematoma|hematome)s? (?:\w+ ){0,2}(?:getting bigger|expanding|enlarging|"
        r"growing|qui grossit|grossit|s'etend|augmente)",
        r"(?:hemoptys|haemoptys|hematuri|haematuri|melena|melaena|hematochez|"
        r"hemorragi|metrorragi|rectorragi|epistaxis|hematemese|saignement|haemorrhag|hemorrhag|"
        r"bleed)\w* (?:\w+ ){0,2}(?:abondant|massi|important|incontrol|cataclysm|profuse|heavy|"
        r"severe|torrenti)",
    ),
    "breathing": (
        r"s'etouffe",
        r"\betouffe\b",
        r"(?:n'arrive|ne peut|n'arrivent|ne peuvent|arrive) (?:plus|pas) (?:a )?respirer",
        r"\b(?:je |il |elle |on )?(?:ne )?(?:peux|peut|peuvent) (?:plus|pas) respirer",
        r"suffoqu|suffocat",
        r"(?:back blows|abdo(?:minal)? thrusts|heimlich|claques dans le dos|compressions "
        r"abdominales) (?:\w+ ){0,3}(?:aren't|are not|not|ne|n'|pas|isn't|now|maintenant|en cours|"
        r"working|marche|marchent)",
        r"(?:can't|cannot|can not) get (?:any |my |his |her |their )?(?:air|breath)",
        r"(?:respire|respirent) (?:tres |de plus en plus )?mal",
        r"du mal a respirer",
        r"devient (?:bleu|violet|gris)",
        r"levres (?:sont |deviennent )?(?:bleues|violettes)",
        r"\bil tire\b|\belle tire\b|\bgeint\b",
        r"(?:can't|cannot|can not|unable to) (?:breathe|catch (?:his|her|my) breath)",
        r"(?:struggling|fighting) (?:to breathe|for (?:air|breath))",
        r"gasping",
        r"(?:turning|gone|going) blue",
        r"\bgrunting\b",
        r"(?:is|he's|she's|he is|she is|i'm|baby|child|patient) choking",
        r"(?:finir|terminer) (?:ses|mes|une) phrases?",
        r"(?:can't|cannot) (?:finish|complete) (?:a |his |her |my )?sentences?",
    ),
    "stroke": (
        r"(?:fait|fait peut-etre|est en train de faire|faire) un (?:avc|accident vasculaire)",
        # (the present only: "il va nous faire une attaque" is a way of speaking)
        r"(?:fait|fait peut-etre|est en train de faire) une attaque\b"
        r"(?! (?:de panique|d'angoisse|d'anxiete|cardiaque|d'asthme))",
        r"(?:is having|having|just had|has had) a stroke",
    ),
}
CONDITIONS: dict[str, tuple[str, ...]] = {
    "suicide": (
        r"tentative de suicide",
        r"\bts\b",
        r"suicide attempt",
        r"idees (?:suicidaires|noires)",
        r"suicidal",
    ),
    "cardiac_arrest": (
        r"arret cardiaque",
        r"cardiac arrest",
        r"asystol",
        r"\bfv\b",
        r"\bacr\b",
        r"arret cardio-?respiratoire",
    ),
    "anaphylaxis": (
        r"anaph",
        r"choc (?:allergique|anaphylactique)",
        r"reaction allergique",
        r"allergic reaction",
        r"oedeme de quincke",
        r"angio-?oedeme|angioedema",
        r"reaction (?:au produit de contraste|a la perfusion|to the (?:contrast|infusion))",
    ),
    "overdose": (
        r"intox",
        r"\btoxicit",
        r"overdose",
        r"surdos",
        r"poison",
        r"empoisonn",
        r"ingestion",
    ),
    "bleeding": (
        r"hemorragi",
        r"haemorrhag|hemorrhag",
        r"haematemesis|hematemesis|hematemese|haemoptysis|hemoptysis|hemoptysie",
        r"\bpph\b",
        # sized before its name ("grosse hémorragie", "major bleeding": also a term of the trade)
        r"(?:grosse|enorme|massive?|grave|big|huge|major|heavy|severe|gros) (?:\w+ )?(?:hemorragi|"
        r"saignement|bleed|haemorrhag|hemorrhag)",
    ),
    "breathing": (
        r"detresse respiratoire",
        r"oedeme aigu du poumon|\boap\b|pulmonary oedema|crache mousseux|pink frothy",
        r"faux croup|laryngite aigue|stridor|\bcroup\b|epiglottit|bronchospasm|"
        r"etat de mal asthmatique|acute severe asthma",
        r"respiratory distress",
        r"crise d'asthme",
        r"asthma attack",
        r"dyspnee",
        r"short(?:ness)? of breath",
        r"breathless",
    ),
    "stroke": (
        r"\bavc\b",
        r"accident vasculaire",
        r"\bstroke\b",
        r"deficit (?:brutal|moteur|neurologique|de l'hemicorps)",
        r"hemiplegi|hemiparesi",
        r"aphasi",
        r"dysarthri",
    ),
}
SIGNS: dict[str, tuple[str, ...]] = {
    # An arrest described rather than named: two of unresponsive, not breathing, no pulse, colour.
    "cardiac_arrest": (
        r"ne (?:reagit|repond|bouge) (?:plus|pas|a rien|rien)|\breagit (?:plus|a rien)|"
        r"(?:aucune|pas de|no|sans) (?:reaction|reponse|response)\b|"
        r"inconscient|unresponsive|(?:not|n't) (?:responding|moving|reacting)|"
        r"(?:won't|doesn't|does not|can't|cannot) (?:wake|respond|rouse)|effondre|ecroule|"
        r"collaps|keeled over|slumped|"
        r"(?:tombe|tombee) (?:par terre|d'un coup|raide|au sol)|dropped to the floor|inerte|"
        r"\bmou\b|\bmolle\b|floppy|lifeless|(?:yeux|eyes) (?:\w+ )?(?:revulses|rolled)",
        r"ne respire (?:plus|pas)|(?:not|stopped) breathing|(?:poitrine|thorax|ventre|chest) "
        r"(?:\w+ ){0,2}(?:(?:ne )?(?:se )?(?:souleve|bouge) (?:plus|pas)|"
        r"\w*(?:not|n't) (?:rising|moving))|"
        r"gasp|hoquet|agoni|(?:aucun|pas de|no|sans) (?:mouvement respiratoire|respiratory effort|"
        r"ventilation spontanee|respiration)\b",
        r"(?:pas|plus|aucun) de pouls|no pulse|pulseless|(?:coeur|heart|heartbeat) (?:\w+ ){0,2}"
        r"(?:ne bat|bat plus|s'est arrete|stopped|not beating)|(?:sens|sent|trouve|feel|find|"
        r"palpe) (?:\w+ )?(?:pas|plus|no|any) (?:de |son |sa |le |his |her |a )?(?:pouls|pulse|"
        r"coeur|heart)|trace plat|ligne plate|flat ?lin|asystol|no output",
        r"\bgris\b|\bgrey\b|\bgray\b|violet|purple|\bbleue?\b|\bblue\b|cyanos|livide|"
        r"marbr|mottled",
    ),
    "overdose": (
        # consciousness
        r"ne se reveille (?:pas|plus)|inconscient|(?:won't|doesn't|does not) wake|unconscious|"
        r"unrousable|barely rousable|somnolent|drowsy|pupilles? en tete d'epingle|pinpoint|myosis|"
        r"sleepy|endormie?|difficile a reveiller|hard to (?:wake|rouse)|groggy|ensuquee?|"
        r"obnubilee?|\bgcs (?:[3-9]|1[0-2])\b|glasgow (?:a )?(?:[3-9]|1[0-2])\b|ronfle|snoring|"
        r"barely (?:awake|conscious|responsive)|a peine (?:conscient|reveille)e?|gouch\w*|"
        r"nodding off|pique du nez",
        # a drug behind it
        r"(?:apres|after) (?:sa|son|ses|his|her|the) (?:morphine|methadone|oxycodone|opio|"
        r"insuline|insulin|traitement|medicaments|pills|tablets)|(?:empty|vides?) (?:\w+ )?"
        r"(?:pill|packets?|boites?|plaquettes?|bottles?|flacons?)|(?:pill|tablet) (?:packets|"
        r"bottles) (?:\w+ )?empty|par erreur|by mistake|needle|seringue|syringe|shooting up|"
        r"s'est shoote|(?:bag|sac|sachet|handful|poignee) (?:of |de )?(?:pills|cachets|comprimes|"
        r"medicaments|gear|smack|brown)|ghb|heroine?|cocaine|crack|mdma|ecstasy|ketamine|fentanyl|opioid|opiace|"
        r"tramadol|methadone|benzo|xanax|lexomil|tercian|"
        rf"{_INGESTED}",
        # slow breathing
        r"respire (?:\d|un|deux|trois|quatre|cinq|six|sept|huit) fois par minute|"
        r"(?:resp(?:iratory)? rate|fr|rr) (?:of |a |is )?[1-8]\b|bradypn|barely breathing|"
        r"respire (?:a peine|tres peu|tres lentement|lentement)|shallow breathing|"
        r"(?:levres|lips) (?:\w+ )?(?:bleues?|blue)",
        # sugar that low
        r"glycemie (?:a |de )?0[.,][0-4]|(?:glucose|bm|cbg|sugar) (?:of |is |at )?[0-2](?:\.\d)?\b",
        # a gas: its source, and several people ill at once
        r"groupe electrogene|generator|brasero|barbecue (?:\w+ )?(?:interieur|dedans|inside)|"
        r"poele|chaudiere|boiler|(?:gas|paraffin) (?:fire|heater)|chauffage (?:au gaz|d'appoint)|"
        r"monoxyde|carbon monoxide|\bco\b|fumees|fumes",
        r"toute la famille|whole family|all of us|"
        r"(?:tout le monde|everyone|everybody) (?:a|has|is)|"
        r"(?:plusieurs|\d+|deux|trois|quatre) (?:personnes|people|enfants|children) (?:\w+ ){0,2}"
        r"(?:avec|with|ont|have|are|malades?|ill|sick)",
    ),
    "bleeding": (
        r"\bsang\b|saign|bleed|\bblood|hemorrag|haemorrhag|(?:s'est )?coupe|\bcut\b|plaie|wound|"
        r"clots|caillots|\bballe\b|gunshot|\bshot\b|stab|poignard|couteau|knife|arme blanche|"
        r"fausse couche|miscarr\w*|post-?partum|accouch\w*|fistule|fistula|tranche|ouvert la|"
        r"gash|laceration|"
        # blood named by where it comes out: melaena, a nosebleed, a soaked dressing
        r"melena|melaena|selles noires|black (?:tarry )?stools?|tarry stools?|epistaxis|"
        r"(?:vomit\w*|throwing up|crache|coughing up) (?:\w+ )?(?:bright red|rouge vif|fresh red)|"
        r"rectorragi\w*|hematemes\w*|haematemes\w*|hemoptys\w*|haemoptys\w*|metrorragi\w*|"
        r"pansement (?:\w+ ){0,5}(?:est )?(?:rouge|imbibe|sature|trempe)|"
        r"dressing (?:\w+ ){0,3}(?:is )?(?:soaked|saturated|red)",
        r"(?:ca|ils?|elles?) ne s'arrete (?:pas|plus)|(?:won't|doesn't|does not|will not) stop|"
        r"arrete pas|\bpisse\b|coule|(?:remplit|rempli|fills?|filling|soaks?) (?:\w+ )?(?:une|a|"
        r"one|des|sa|her) (?:serviette|protection|pad|towel)|"
        r"partout|everywhere|soaking|trempe|a flots?|gicle|every \d+ minutes|"
        r"goutte (?:par terre|partout|sur le sol)|dripping (?:on|onto) the floor|"
        r"toutes les \d+ minutes|en continu|continuously|non-stop|sans arret|badly|sans s'arreter|"
        r"(?:lots of|a lot of|so much|loads of|beaucoup de|plein de|enormement de) (?:\w+ )?"
        r"(?:blood|sang)|"
        r"(?:big|large|gros|huge|enormes?) (?:\w+ )?(?:clots|caillots)|"
        r"(?:un demi|half a|\d+(?:[.,]\d)?) ?(?:litres?|liters?|l|ml)\b",
        # shock
        r"\bfaint|malaise|\bpale\b|palot|dizzy|tete qui tourne|tomber dans les pommes|syncope|"
        r"\bgris\b|\bgrey\b|livide|clammy|moite|marbr|mottled|"
        r"\b(?:ta|bp|pa|tension)(?: a| of| is)? (?:[4-8]\d)\b|tachycard",
    ),
    "breathing": (
        # effort, rate
        r"respire (?:\w+ )?(?:vite|fort|mal)|polypn|tachypn|\btire\b|tirage|grunting|geint|"
        r"noisy breathing|pulling in|bruit \w+ (?:quand|en) (?:il |elle )?(?:respire|inspire)|"
        r"stridor|cornage|chest (?:is |feels )?tight|oppression|poitrine (?:qui )?serre|"
        r"respire avec peine|\bcreuse\b|retractions?|recession|sucking in|"
        r"apnee|apnoea|apnea|pauses? respiratoires?|stops? breathing|"
        r"(?:resp(?:iratory)? rate|\brr|\bfr|frequence respiratoire)(?: of| is| a| at|"
        r":)? [3-6]\d\b|"
        r"(?:really |badly )?struggling|manque d'air|(?:short|out) of air|"
        r"breathing (?:\w+ ){0,2}(?:fast|hard|rapidly)|wheez|siffl|essouffl|breathless|"
        r"(?:respire|breathing) a (?:[4-9]\d|1\d\d)\b|(?:like|comme si) (?:i'm |je me )?"
        r"(?:drowning|noyais|noie)|"
        r"short of breath",
        # oxygen
        r"\b(?:sat|sats|spo2|saturation)(?: a| are| at| of| est a)? [4-8]\d\b|cyanos|bleue?s?\b|"
        r"\bdesat\w* (?:a |to |at )?[4-8]\d\b|"
        r"violette?s?\b|bleu\w*|\b(?:on|sous) (?:1[0-5]|[6-9]) ?(?:l|litres?|liters?)\b|"
        r"\bblue\b|\bgris\b|\bgrey\b",
        # speech
        r"(?:finir|terminer) (?:ses|une) phrases?|single words|"
        r"ne (?:peut|peux) (?:plus|pas) parler|"
        r"(?:can't|cannot|barely) (?:speak|talk)|"
        r"(?:peut|arrive) a peine (?:a )?(?:parler|respirer)|ne parle plus",
        # the airway: drooling, cannot swallow; frothy sputum
        r"drool|\bbave\b|(?:can't|cannot|ne peut (?:pas|plus)|n'arrive (?:pas|plus) a) "
        r"(?:swallow|avaler)|crache (?:\w+ ){0,2}mousse|frothy",
        # exhaustion
        r"drowsy|somnolente?|exhausted|epuisee?|tiring|s'epuise|confuse?\b|confused|"
        r"(?:ne )?tete plus|not feeding|won't feed|refuse (?:le biberon|de boire)",
        # the rescue treatment does nothing
        r"(?:inhaler|pump|puffer|nebs?|nebuli[sz]er|salbutamol|ventoline|bronchodilat\w*|"
        r"aerosols?|bouffees|puffs) (?:\w+ ){0,2}(?:not (?:helping|working)|(?:doesn't|isn't|"
        r"didn't|aren't) (?:help|work)\w*|ne (?:fait|font|marche|marchent) (?:rien|pas|plus)|"
        r"sans (?:effet|amelioration)|no (?:effect|better|help)|inefficace)",
    ),
    "stroke": (
        # face
        r"(?:bouche|visage|figure|levre|commissure)s? (?:\w+ ){0,2}(?:de travers|deforme|tombe|"
        r"asymetrique|paralyse|tordu)|moitie (?:du visage|de (?:sa|la) figure)|paralysie faciale|"
        r"face (?:\w+ ){0,2}(?:drooping|dropping|dropped|droops?|fallen|lopsided)|"
        r"facial (?:droop|palsy)|"
        r"side of (?:his|her|the|my) face|mouth (?:is )?(?:lopsided|drooping|twisted)|"
        r"sourire (?:\w+ ){0,2}(?:d'un cote|asymetrique|de travers)|(?:can't|cannot) smile",
        # arm, leg, one side
        r"(?:bras|main|jambe)s? (?:\w+ ){0,2}(?:qui tombe|tombe|faible|lourd|ne repond|paralyse|"
        r"engourdi)|(?:bouger|lever|soulever|tenir|serrer) (?:le|la|son|sa|ses) (?:bras|main|"
        r"jambe)|"
        r"hemicorps|(?:arm|hand|leg) (?:won't|doesn't|can't|will not) (?:move|work)|"
        r"(?:moitie|cote) du corps|(?:half|one side) of (?:my|his|her|the) body|"
        r"(?:can't|cannot|couldn't|unable to) (?:hold|grip|lift|raise) (?:his|her|my|a|the) |"
        r"(?:n'arrive|arrive) (?:plus|pas) a (?:tenir|lever|serrer|soulever) |"
        r"(?:lift|raise|move|feel) (?:(?:his|her|my|the) )?(?:\w+ )?(?:arm|hand|leg)|"
        r"(?:arm|hand|leg) (?:\w+ ){0,2}(?:weak|numb|heavy|limp|dropped|drift|floppy|dead|useless|"
        r"gave way|went)|(?:bras|main|jambe) (?:\w+ ){0,2}(?:molle?|morte?|inerte|lache)|"
        r"(?:arm|one-sided|sided) weakness|(?:main|bras) (?:\w+ )?lache|"
        r"(?:bras|main|jambe) (?:\w+ ){0,2}ne bouge (?:plus|pas)|"
        r"(?:side|cote|hemicorps) (?:\w+ ){0,2}(?:weak|faible|paralys|numb|engourdi)|"
        r"(?:weakness|faiblesse|numbness) (?:in|of|dans|du|de la|de son|de sa) (?:\w+ ){0,2}"
        r"(?:arm|leg|side|hand|bras|jambe|cote|main)",
        # speech
        r"parle (?:mal|bizarre|difficilement|de travers|plus)|(?:du mal|difficulte)s? a parler|"
        r"troubles? (?:de la parole|du langage)|(?:n'arrive|ne peut) plus (?:a )?parler|"
        r"(?:trouve plus|cherche) ses mots|melange (?:les|ses) mots|aphasi|dysarthri|"
        r"words (?:\w+ ){0,3}(?:wrong|mixed up|muddled|jumbled)|mots (?:\w+ ){0,2}(?:melanges|"
        r"de travers)|voix pateuse|bafouill|begai|articule mal|mange ses mots|slurr|garbled|"
        # (not "muddled" alone: a confused patient, "nauseous and muddled" on digoxin)
        r"nonsense|gibberish|not making sense|incoherent|jumbled|"
        r"(?:parle|dit|raconte) (?:\w+ )?n'importe quoi|incomprehensible|incoherente?|"
        r"(?:can't|cannot) (?:speak|talk|get (?:his|her) words)|"
        r"words (?:are )?(?:coming out|jumbled)|speech (?:is )?(?:slurred|garbled|gone)|"
        r"(?:can't|cannot|doesn't|does not) understand|ne comprend (?:plus|rien)",
        # Beyond FAST: sight and balance, a stroke only with another sign (POSTERIOR_GROUPS).
        r"voit double|vision double|diplopi|double vision|loss of (?:vision|sight)|"
        r"(?:perdu|perd|lost) (?:la vue|(?:the )?"
        r"(?:vision|sight))|ne voit plus|amaurose|hemianop|(?:suddenly |sudden )?confus",
        r"marche de travers|titube|(?:perd|perdu) l'equilibre|desequilibre|ataxi|unsteady|"
        r"stagger|(?:loss of|lost (?:his|her)) balance|(?:can't|cannot) (?:walk|stand)|"
        r"vertige brutal",
    ),
    "anaphylaxis": (
        r"(?:gorge|langue|levres?|visage|yeux|paupieres|face|throat|tongue|lips?|eyes?|eyelids?) "
        r"(?:\w+ ){0,2}(?:gonfl|enfl|swell|swollen|tight|serre|huge|enorme|puff|se ferme|ferme|"
        r"clos|grossi)|gonfle|swelling up|(?:swollen|puffy|enflee?s?|gonflee?s?) (?:\w+ )?(?:gorge|"
        r"langue|levres?|visage|yeux|paupieres|face|throat|tongue|lips?|eyes?|eyelids?)",
        r"urticaire|\bplaques\b|\bhives\b|\brash\b|boutons|tout rouge|welts|blotch|"
        r"erythem|flush|(?:se )?gratte (?:partout|de partout)|itch(?:y|ing) all over|"
        r"(?:visage|face|peau|skin) (?:\w+ )?(?:rouge|red)\b",
        r"du mal a avaler|dysphagi|hoarse|voix (?:rauque|qui change)|throat (?:\w+ )?(?:funny|"
        r"tight|strange|itchy)|gorge (?:qui )?(?:gratte|serre)|stridor",
        r"siffle|sibilan|wheez|respire (?:\w+ )?mal|du mal a respirer|breath|etouffe|suffoqu|"
        r"choking|"
        r"(?:sats?|saturation|spo2) (?:\w+ )?(?:dropping|falling|qui baisse|qui chute|low)|desatur",
        r"vomi|vomiting|throwing up|douleurs? abdominales?|tummy pain|abdominal pain",
        r"\b(?:ta|tension|bp|pa)(?: a)? [4-8]\d\b|hypotension|malaise|chute de (?:la )?tension|"
        r"(?:ta|bp|pa) (?:imprenable|effondree|unrecordable|dropping)|collaps|"
        r"(?:ta|tension|bp|pa|pressure) (?:qui )?(?:chute|baisse|s'effondre|dropping|falling)",
        r"apres (?:\w+ ){0,4}(?:antibio|injection|vaccin|piqure|cacahuete|sesame|noix|"
        r"arachide|contraste|perfusion)|(?:after|from) (?:\w+ ){0,2}(?:antibiotic|injection|"
        r"contrast|sting|vaccine|peanut|nuts?|infusion)|ate (?:a|some) (?:peanut|nut)|bee sting|"
        r"piquer par|mange (?:\w+ ){0,2}(?:cacahuete|sesame|noix|arachide)|en a mange|just ate|"
        r"ate some|(?:first |one |a )?(?:bite|mouthful|bouchee|cuilleree) (?:of|de)|"
        r"(?:ate|eaten|eating|mange|gouter?) (?:\w+ ){0,4}(?:peanuts?|nuts|cacahuetes?|"
        r"sesame|noix|arachides?|shellfish|shrimps?|prawns?|crevettes?|fruits de mer|kiwi)|"
        r"(?:apres|after|recu|received|given) (?:\w+ ){0,3}(?:curare|rocephine|ceftriaxone|"
        r"penicill|amox|cephalo|iode|latex|ains|nsaid)|"
        r"(?:allergique|allergic) (?:a|aux|to) (?:\w+ ){0,3}"
        r"(?:en a mange|just ate|ate some|a mange)|"
        # an allergen, however its taking is told
        r"\b(?:amoxicilline?|augmentin|penicilline?|cephalosporine?|antibiotique|antibiotic|"
        r"co-?amox\w*|ceftriaxone|vancomycine?|vanco|curare|latex|produit de contraste|iode|"
        r"cacahuetes?|arachides?|noix|noisettes?|sesame|oeufs?|poisson|crustaces|crevettes?|"
        r"peanuts?|nuts|cashews?|shellfish|prawns?|shrimps?|guepe|frelon|abeille|wasp|hornet|"
        r"bee)\b",
    ),
}
# That it is happening now, here.
NOW = re.compile(
    _any(
        r"en cours",
        # "is it still the guideline?", "still 10 mcg/kg iv?": whether a rule holds, no cue
        r"\bstill\b(?! (?:(?:the|a|an|recommended|current|valid|ok|right|true)\b|\d))",
        r"(?<!c'est )(?<!est-ce )\btoujours\b"
        r"(?! (?:la|le|les|l'|ca|valable|recommande|d'actualite)\b)",
        # given to someone, not "when is adrenaline given?"
        r"(?<!is )(?<!are )(?<!be )(?<!est )(?<!sont )(?<!etre )"
        r"\b(?:epipen|stylo|adre|adrenaline) (?:\w+ )?(?:deja )?(?:used|given|faite?|injecte)",
        r"used the (?:epipen|auto-?injector)",
        r"right now",
        r"\bnow\b(?! on\b| taking| takes)",
        r"maintenant",
        r"actuellement",
        r"en ce moment",
        r"ongoing",
        r"in progress",
        r"en continu|non-stop|continuously",
        # what someone said or wrote: a real person, not a case
        r"\b(?:m'a|nous a|lui a|m'|a) (?:dit|ecrit|envoye)|\bdit (?:qu|que)\b|\b(?:says|said|told|"
        r"texted|"
        r"messaged|wrote) (?:me |us |that |he |she )",
        r"\b(?:pt|patient|patiente|monsieur|madame|mme|mr) (?:du|de la) \d+\b",
        r"currently",
        r"ce soir",
        r"tonight",
        r"\bvite\b",
        r"\bhelp\b",
        r"au secours",
        r"a l'aide",
        r"\burgent",
        r"urgence vitale",
        r"depuis (?:\d+|une|deux|trois|quelques|dix|vingt|trente|tout a l'heure|ce matin)"
        r" ?(?:min|h\b|heures?|minutes?|tout|ce matin)?",
        r"il y a (?:\d+|une|deux|trois|quelques|dix|vingt|trente) ?(?:min|h\b|heures?|minutes?)",
        r"\b\d+ ?(?:min|minutes?|hours?|h)\b ago",
        r"(?:an|half an|a few|few|couple of) (?:hour|hours|minutes?) ago",
        r"since \d+ ?(?:min|minutes?|h)",
        r"\bstarted\b",
        r"\bonset\b",
        r"debut des symptomes",
        r"vient de",
        # "he just collapsed", not "just urticaria", "just a headache"
        r"\bjust (?:now|\w+ed|took|went|fell|ate|drank|got|came|began|became|told|said|gave|"
        r"bit|stung|cut|broke|threw|woke|saw|found|swallowed|keeled|had|been)\b",
        r"soudain",
        r"brutal",
        r"suddenly|\bsudden\b",
        r"\b(?:since|at|from|depuis) \d{1,2} ?(?:am|pm)\b",
        r"tout d'un coup",
        r"\b(?:chambre|ch|chbre|lit|box|bed|bay|room|rm|"
        r"salle) \d+",  # a numbered place: someone there
        r"\bde la \d+\b",
        r"\b(?:ta|bp|pa|tension a|sat|sats|spo2|saturation)(?: a| are| at| of)? \d",
        # a value measured on someone, an onset at a clock time: a patient, not a case
        r"\b(?:nihss|gcs|glasgow|hb|hgb|fc|hr|fr|rr|glycemie|lactates?|etco2|pam|map|"
        r"bradycardie|bradycardia|tachycardie|tachycardia|qrs)"
        r"(?: a| of| at| is| de|:)? \d",
        r"\b(?:a|at|since|depuis|des|from|debut|onset) \d{1,2}(?:h\d{0,2}|:\d\d)\b",
        r"\bon masse\b",
        r"choque",
        r"\bshocked\b",
    )
)
# Where it is happening: "now" unless the message is a generic or teaching question ("protocol for
# suspected stroke in the ED").
HERE = re.compile(
    _any(
        r"per-?operatoire|intra-?operative|peri-?operative|en salle de reveil|\bsspi\b",
        r"\bau (?:bloc|scanner|cabinet|dechocage|dechoc|sau)\b|\baux urgences\b",
        r"\ben salle\b",
        r"\bin (?:theatre|recovery|the ed|resus|the ward|a&e)\b",
        r"\bon the ward\b",
        # a room at home where someone is found: "intoxiqués au CO dans le garage"
        r"\bdans (?:le|la|sa|son|leur|leurs) (?:garage|cuisine|voiture|salle de bains?|cave|"
        r"atelier|baignoire)\b|\bin (?:the|his|her|their) (?:garage|kitchen|car|bathroom|bath|"
        r"shed|workshop)\b",
    )
)
# A generic question or teaching frame (where nothing says it is happening now).
_QUESTION_FRAME = r"^" + _any(
    r"quel",
    r"comment",
    r"pourquoi",
    r"combien",
    r"que faire",
    r"conduite a tenir",
    r"\bcat\b",
    r"prise en charge",
    r"protocole",
    r"algorithme",
    r"dose",
    r"posologie",
    r"traitement",
    r"faut-il",
    r"peut-on",
    r"doit-on",
    r"signes?\b",
    r"criteres?",
    r"score",
    r"echelle",
    r"definition",
    r"difference",
    r"cours\b",
    r"formation",
    r"what",
    r"how",
    r"which",
    r"why",
    r"when (?:should|to|do you|is|are|does)\b",
    r"should",
    # "can we…?", not "can't breathe"
    r"is\b(?!n')",
    r"are\b(?!n')",
    r"can\b(?!')",
    r"does\b(?!n')",
    r"do\b(?!n')",
    r"management",
    r"protocol",
    r"algorithm",
    r"features",
    r"symptoms",
    r"dosing",
    r"teaching",
    # a medicine's dose, first: "adrenaline dose in paediatric cardiac arrest?"
    r"[a-z-]+(?: [a-z-]+)? (?:dose|doses|dosing|posologie)\b",
)
_TEACHING_FRAME = _any(
    r"\bun patient\b",
    r"\bune patiente\b",
    r"\bun enfant\b",
    r"\bune personne\b",
    r"\bles patients\b",
    r"\ba patient\b",
    r"\bpatients who\b",
    r"\bif an?\b",
    r"\bsi (?:un|une|le|la)\b",
    r"\ben cas d",
    r"\bin case of\b",
    r"\bdevant (?:un|une)\b",
    r"\bwhen an?\b",
    r"\bprotocol",
    r"\bprotocole",
    r"\balgorithm",
    r"\bguideline",
    r"\brecommandation",
    r"\bscale\b",
    r"\bscreening\b",
    r"\blecture\b",
    r"\bteaching\b",
    r"\bformation\b",
    r"\bje prepare un cours\b",
    r"\brevis",
    r"\becn\b|\bedn\b|\bexam\b",
    r"\bhandouts?\b|\bslides?\b|\bdiapos?\b|\bquiz\b|pour (?:le|mon|un) cours\b",
    # an exercise or a vignette, not a patient: simulation, a manikin, a clinical case
    r"\bcas cliniques?\b|\bclinical (?:case|vignette|scenario)",
    # (a "scénario" with a plan is the psychiatric word for a suicidal plan, not a vignette)
    r"(?<!avec )(?<!avec un )\bscenarios?\b(?! (?:precis|suicidaire|de passage|construit|elabore))"
    r"|\bvignette\b|\bexam question|\bquestion d'(?:ecn|edn|examen|internat)",
    r"\bimagin(?:e|ons|ez)\b|\bsuppos(?:e|ons|ing)\b|\badmettons\b|\bhypothetic",
)
# A generic question ("quel traitement…", "how do you…"): generic unless it names someone the
# writer is with ("what do I do, my dad is not breathing").
QUESTION_FRAME = re.compile(_QUESTION_FRAME)
# A teaching or protocol frame, or a hypothetical case ("un patient", "en cas de"): generic
# whoever else it names ("ma collègue fait une formation sur l'AVC").
TEACHING_FRAME = re.compile(_TEACHING_FRAME)
GENERIC = re.compile(f"{_QUESTION_FRAME}|{_TEACHING_FRAME}")
NEGATION = re.compile(
    r"\b(?:pas|sans|aucune?|ni|nie|nient|niant|jamais|absence|no|not|without|denies|denied|never|"
    r"nor|absent|rien|"
    r"nothing|"
    r"didn't|doesn't|don't|hasn't|haven't|hadn't|wasn't|weren't|isn't|aren't)\b"
)
HISTORY = re.compile(
    _any(
        r"\bantecedents?\b",
        r"\batcd\b",
        r"\bhistory of\b",
        r"\bfamily history\b",
        r"\bh/o\b",
        r"\bprevious\b",
        r"\bprior\b",
        r"\bpast\b",
        r"\bil y a (?:\d+|deux|trois|quelques|plusieurs) (?:jours|semaines|mois|ans)\b",
        r"\b(?:\d+|two|three|a few|several) (?:days|weeks|months) ago\b",
        r"\b(?:la semaine|le mois) derniere?\b",
        r"\blast (?:week|time)\b",
        r"\b\d+ (?:years?|ans) ago\b",
        r"\b(?:two|three|four|five|several|many) years ago\b",
        r"\bl'an dernier\b",
        r"\bl'annee derniere\b",
        r"(?<!depuis )\bhier\b",  # "depuis hier" goes on
        r"\bdepuis des (?:annees|mois)\b|\bfor (?:years|months)\b|\bchroniques?\b|\bchronic\b",
        r"(?<!since )\byesterday\b",
        r"\blast (?:year|month)\b",
        r"\ben (?:19|20)\d\d\b",
        r"\bin (?:19|20)\d\d\b",
        r"\bayant fait\b",
        r"\ba eu\b",
        r"\brecupere\b",
        r"\bprevention\b",
        r"\banciens?\b|\banciennes?\b|\bformer\b|\bsequell\w*|\bresidual\b|\bresiduel\w*",
        # over now: "then fully recovered", "a régressé", "rentré dans l'ordre"
        # "the stroke lady from friday", "la dame de lundi": someone seen on an earlier day
        r"\bfrom (?:last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the "
        r"weekend|last night)\b|\b(?:de|du) (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|"
        r"dimanche|week-?end) (?:dernier|soir|matin)?\b",
        r"\b(?:full )?power (?:is )?back\b|\ba recupere\b",
        r"\b(?:fully |completely |totalement |completement |entierement )?(?:recovered|resolved|"
        r"settled|subsided|wore off|went away|regresse\w*|resolutif\w*|rentre dans l'ordre|"
        r"back to (?:normal|baseline|her baseline|his baseline))\b",
        r"\bas a (?:child|baby|kid|teenager|teen)\b|"
        r"\b(?:quand|when) (?:il|elle|j'|je|he|she|i) (?:etait|etais|was) (?:petite?|bebe|enfant|"
        r"ado|a baby|a child|little|young)\b|\bdans (?:son|sa|mon|ma) enfance\b|\bchildhood\b|"
        r"\byears ago\b|\bil y a des annees\b",
        r"\b(?:in|en|last|since|depuis|au) (?:january|february|march|april|june|july|august|"
        r"september|october|november|december|janvier|fevrier|mars|avril|juin|juillet|aout|"
        r"septembre|octobre|novembre|decembre|spring|summer|autumn|winter|printemps|automne|"
        r"hiver)\b",
    )
)
# Past tense that a cue of "now" in the same clause overrides ("il a fait un arrêt il y a 2 min").
PAST = re.compile(
    r"\b(?:a|ai|avait|ont|ayant) fait (?:un|une|des)\b|\bhad (?:a|an)\b|\blors de\b|"
    # the pluperfect: "il avait avalé des piles", "she had taken"
    r"\b(?:avait|avaient|avais|etait|etaient|s'etait|s'etaient) (?:\w+ )?(?:avale|pris|bu|mange|"
    r"fait|eu|saigne|etouffee?|arrete|tente|essaye)\b|\bhad (?:\w+ )?(?:taken|swallowed|drunk|"
    r"eaten|tried|attempted|bled|choked|stopped)\b"
)
# Someone the writer is with: a condition named about them is happening now.
SOMEONE = re.compile(
    r"\b(?:mon|ma|notre|my|our) (?:patient|patiente|grand-?mere|grand-?pere|grand mere|"
    r"grand pere|papi|mamie|grandma|grandad|grandpa|gran|nan|pere|mere|fils|fille|mari|femme|bebe|"
    r"ami|"
    r"amie|collegue|voisin|voisine|frere|soeur|enfant|dad|mum|mom|father|mother|son|daughter|"
    r"husband|wife|baby|friend|colleague|neighbour|brother|sister|child|partner|conjoint|"
    r"compagnon|compagne|copain|copine|boyfriend|girlfriend|mate|flatmate|roommate|coloc)\b"
)
# An infant or a child: one sign of laboured breathing is enough (they tire fast).
CHILD = re.compile(
    _any(
        r"\b(?:bebe|baby|nourrisson|infant|newborn|toddler|enfant|child|kid|kiddo|gamin|petit)\b",
        r"\b\d+ (?:mois|months?)\b|\b\d+[- ]month[- ]old\b|\b\d ?(?:yo|y/o|ans)\b",
    )
)
PERSON = re.compile(
    r"\b(?:il|elle|je|j'|mon|ma|mes|son|sa|ses|he|she|his|her|my|i|patient|patiente|dad|mum|"
    r"mom|pere|mere|homme|femme|jeune|dame|monsieur|madame|man|woman|guy|lady|gars|mec|"
    r"bebe|baby|nourrisson|infant|newborn|toddler|enfant|child|kid|gamin|petit|petite|ado|"
    r"collegue|colleague|interne|infirmiere?|nurse|quelqu'un|someone|somebody|papi|mamie|"
    r"grandpa|grandad|grandma|nan|famille|family|everyone|tout le monde|personnes|people|"
    r"partner|conjoint|"
    r"compagnon|compagne|copain|copine|boyfriend|girlfriend|mate|flatmate|roommate|coloc|"
    # what is on a patient: a dressing, a scar, a drain
    r"pansement|dressing|cicatrice|redon|drain)\b"
)
FIRST_PERSON_SUICIDE = re.compile(
    rf"{_ME} (?:suicider|pendre|jeter)|{_ME_KILL}|kill(?:ing)? myself|\bi (?:want to|wanna) die"
)


def _restore_ne(match: re.Match[str]) -> str:
    subject = "je " if match.group(1) else ""
    reflexive, verb, negation = match.group(2) or "", match.group(3), match.group(4)
    particle = "ne " if reflexive or verb[0] not in "aeiou" else "n'"
    return f"{subject}{particle}{reflexive}{verb} {negation}"


# Chat spellings, rewritten before anything is read (on folded text): SMS contractions, dropped
# apostrophes ("s est", "l air"), English contractions without their apostrophe ("cant", "hes"),
# and the French "ne" people drop ("il respire pas" reads "il ne respire pas").
CHAT_SPELLINGS: tuple[tuple[re.Pattern[str], Any], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bjpp\b", "j'en peux plus"),
        (
            r"\b(?:jai|g)(?= (?:envie|mal|plus|pas|pris|avale|fait|besoin|peur|trop)\b)|"
            r"\bjai\b",
            "j'ai",
        ),
        (r"\bj(arrive|en|etais|avais)\b", r"j'\1"),
        (r"\bj(vais|veux|peux|crois|pense|sais)\b", r"je \1"),
        (r"\bjpeu\b", "je peux"),
        (r"\b(?:jsuis|jsui|chuis|chui)\b", "je suis"),
        (r"\b(j|l|s|d|n|m|t|qu) (?=[aeiouyh])", r"\1'"),
        (
            r"\bc (?=(?:le|la|les|un|une|quoi|pas|bon|grave|urgent|normal|mon|ma|sa|son|ca)\b)",
            "c'est ",
        ),
        (r"(?<!il )\b(?:y a|ya)\b", "il y a"),
        (r"\bptite?s?\b", "petit"),
        (r"\bbb\b", "bebe"),
        (r"\bpte\b", "patiente"),
        (r"\bpt\b", "patient"),
        (r"\btt\b", "tout"),
        (r"\bbcp\b", "beaucoup"),
        (r"\bds\b", "dans"),
        (r"\b(?:tjrs|tjs)\b", "toujours"),
        (r"\b(?:mtn|mnt)\b", "maintenant"),
        (r"\b(?:rn|atm)\b", "right now"),
        (r"\b(can|don|doesn|won|isn|wasn|didn|couldn|wouldn|aren|haven|hasn)t\b", r"\1't"),
        (
            r"\b(he|she|it|that|there|what)s\b(?= (?:not|been|gone|going|got|having|choking|"
            r"turning|bleeding|breathing|unresponsive|collapsed|blue|grey|gray)\b)",
            r"\1's",
        ),
        (r"\bhes\b", "he's"),
        (r"\bshes\b", "she's"),
        (
            r"\bim(?= (?:gonna|going|not|so|done|on|at|in|feeling|choking|scared|sorry|about)\b)",
            "i'm",
        ),
        (r"\bive\b", "i've"),
        (r"\bgonna\b", "going to"),
        (r"\bwanna\b", "want to"),
        (r"\bu\b", "you"),
        (r"\bur\b", "your"),
        (r"\b(?:pls|plz)\b", "please"),
        # "il respire pas", "elle se réveille plus": the "ne" restored.
        (
            r"(?<!\bne )(?<!n')(?<!\bse )(?<!s')(j')?\b(se |s')?(respirent|respire|repondent|"
            r"repond|bougent|bouge|"
            r"parlent|parle|reagit|reagissent|reveille|arrive|arrivent|peut|peuvent|peux|tient|avale|"
            r"marche|marchent|fait|font)"
            r" (plus|pas|rien)\b(?! (?:vite|fort|mal|bien|lentement|que|de)\b)",
            _restore_ne,
        ),
    )
)
# Suicidal thoughts denied in so many words outrank a vaguer mention ("idées noires … mais nie
# toute idée suicidaire").
SUICIDE_DENIED = re.compile(
    r"\b(?:nie|niant|denies|denied|denying|no|pas d'|sans|absence d')\s*(?:toute?s? |any |d'|de )?"
    r"(?:idees? suicidaires?|suicidal (?:ideation|thoughts|intent)|idees? de suicide|"
    r"intention suicidaire)|"
    # an accident, not an attempt: "cut my wrist on a broken glass by accident"
    r"\b(?:by accident|accidentally|par accident|accidentellement|sans faire expres)\b"
)
# The anaphylaxis sign groups that are not enough together without another: a rash after an
# antibiotic is a drug rash until something else (swelling, breathing, pressure, gut) joins it.
ANAPHYLAXIS_WEAK_GROUPS = frozenset({1, 6})
# The stroke sign groups that are enough alone (face, arm, speech: FAST); sight and balance
# count only with another sign.
FAST_GROUPS = 3

# Figures of speech, removed before anything is read: the words of an emergency said of
# something else ("on crève de chaud", "bleeding us dry", "this shift is the death of me").
FIGURATIVE = re.compile(
    _any(
        r"\b(?:mort|morte|morts|mortes|creve|crevee|creves|crever|meurt|meurs|mourir|etouffe|"
        r"etouffer|suffoque|dying|dead) (?:de |d'|of )(?:rire|fatigue|faim|froid|chaud|chaleur|"
        r"peur|honte|ennui|soif|trouille|envie|boredom|embarrassment|laughing|hunger|thirst|"
        r"cold|heat)\b",
        r"\b(?:is|are|was|were|'s|'re|keeps?|kept) (?:killing|suffocating|strangling|choking|"
        r"drowning|smothering) (?:me|us|everyone|everybody|(?:the |our )?(?:whole )?(?:team|ward|"
        r"unit|department|service|staff|rota))\b",
        r"\b(?:my|mon|ma) (?:brain|cerveau|head|tete) (?:\w+ )?(?:flatlined|flatlining|crashed|"
        r"a plante|a bugue|fait un avc)\b",
        r"\b(?:j'ai cru|i thought|i felt like|comme si) (?:que )?(?:mon coeur|my heart) (?:allait|"
        r"would|was going to) (?:s'arreter|stop|lacher|exploser|explode)\b",
        r"\b(?:going to|gonna|vais|va) (?:kill|murder|tuer|etrangler|strangle) (?:the|that|this|"
        r"whoever|le|la|celui|celle|ce|cette)\b",
        r"\b(?:the )?death of (?:me|us)\b",
        r"\b(?:could|would|i'd) (?:kill|murder|die) for\b",
        r"\b(?:nearly|almost) (?:had|gave (?:me|him|her|us)) (?:a )?heart attacks?\b",
        r"\bbleed(?:s|ing)? (?:\w+ )?dry\b|\bsaigner a blanc\b",
        r"\b(?:haemorrhag|hemorrhag|bleed)\w* (?:\w+ )?(?:staff|money|cash|nurses|doctors|talent|"
        r"members|funds|budget|points|jobs|patients to|beds|capacity|resources|locums|juniors|"
        r"registrars|consultants)\b",
        # dying of a rota: "je vais crever si on me rajoute une garde", "i'll die if i get one
        # more night shift"
        r"\b(?:(?:je vais|on va|i'm going to|i am going to|i'll|i will|going to) )?"
        # (dying only: "kill myself if…" stays a threat whatever follows)
        r"(?:crever|mourir|die)(?: [a-z']+){0,2} (?:si|if) [^.,;:!?]{0,40}"
        r"\b(?:garde|gardes|shift|shifts|rota|planning|reunion|meeting|audit|nuit|nights?|"
        r"dossiers?|paperasse|codage|mails?|e-?mails?|staff|deadline|exam|partiel|boss|chef|"
        r"cadre)\b",
        r"\b(?:drowning|suffocating|choking|buried|swamped|snowed under) (?:in|under|with|on) "
        r"(?:\w+ )?(?:paperwork|work|workload|e-?mails?|notes|admin|summaries|letters|referrals|"
        r"forms|tasks|jobs|bureaucracy|meetings|debt|rules|targets)\b",
        r"\b(?:noye|noyee|noyes|noie|noient|submerge|submergee|deborde|debordee) (?:sous|dans|par) "
        r"(?:les |la |le |des |l')?(?:paperasse|dossiers|mails|courriers|comptes? rendus|travail|"
        r"boulot|admin\w*|entrees|taches)\b",
        r"\b(?:m'a|t'a|nous a|ca m'a|ca a) coupe le souffle\b|\b(?:took|takes) (?:my|our) breath "
        r"away\b",
        # one's own collapse announced, with what would bring it on: "je vais faire un AVC si on
        # me redemande…", "this bleep is going to give me a heart attack" (a stroke does not
        # announce itself in the future tense)
        r"\b(?:je vais|j'vais|on va|i'm going to|i am going to|i'll|i will|gonna) (?:me |nous )?"
        r"(?:faire|have|get) (?:un |une |a )?(?:avc|infarctus|infarct|arret(?: cardiaque)?|attaque|"
        r"crise cardiaque|heart attack|stroke|cardiac arrest)\b(?:[^.;:!?]{0,60})?",
        r"\b(?:is|are|'s|'re|will|va|vont) (?:going to |gonna )?(?:give|donner|filer|me faire|nous "
        r"faire)(?: me| us)? (?:a |an |un |une )?(?:heart attack|stroke|infarctus|avc|crise "
        r"cardiaque|attaque|arret cardiaque)\b",
        r"\barret sur image\b|\bfreeze[- ]frame\b",
        r"\b(?:cardiac arrest|arret cardiaque) (?:of|d'|de) (?:a|an|une?) (?:performance|match|"
        r"game|defense|defence|saison|season|reunion|meeting)\b",
        r"\b(?:on|j'|je|we're|we are) (?:all |tous |toutes )?(?:etouffe|suffoque|creve|cuit|meurt|"
        r"drowning|suffocating|"
        r"boiling|melting)\b[^.;!?]{0,40}\b(?:degres|chaud|chaleur|canicule|clim|sweat|heat|"
        r"heatwave|fans?|ventilo)\b",
        r"\b(?:saigne|saigné|bled|bleeding) (?:le |la |les |the |our )?(?:planning|rota|budget|"
        r"equipe|team|service|staff)\b",
    )
)
# A simulation: a manikin, a mock code, an exam station. A message about one describes no one.
SIMULATION = re.compile(
    r"\bsimu(?:lation|le|lee|les)?\b|\bmannequin|\bmanikin|\bdummy\b|\bmock (?:code|arrest)|"
    r"\bosce\b|\becos\b"
    # a drill or a test of the call system: "arrest call bleeps will be tested at 10am"
    r"|\b(?:will be|are being|is being|being|seront|vont etre|va etre) test(?:ed|es|ees|e)\b"
    r"|\btest (?:des|of the|of) (?:bips|bleeps|pagers|alarmes|alarms|appels)\b"
    r"|\bdo not respond\b|\bne pas (?:repondre|se deplacer|venir)\b"
    # work on a document about the condition: "on met à jour la procédure hémorragie massive",
    # "stroke pathway audit results are on the shared drive" (not one being activated)
    r"|\b(?:procedure|protocole?|pathway|policy|guidelines?|audit|checklist|poster|affiche|"
    r"formation|training|e-?learning|diapos?|slides)\b(?!.*\b(?:activ|declench|lanc|declare|"
    r"en cours|ongoing|now|maintenant))(?=.*\b(?:(?:mis|mise|met|mettre|mettons) a jour|"
    r"updat(?:e|ed|es|ing)|relit|relire|relu|relecture|review(?:ed|ing|s)?|revis\w*|redig\w*|"
    r"results?|resultats?|shared drive|intranet|sharepoint|on teams)\b)"
)
# ... unless it says a real patient is concerned.
REAL = re.compile(
    r"\b(?:vrai|vraie|real|reel|reelle) (?:patient|patiente|arret|arrest)|pour de vrai|for real"
)
# A hypothetical, to the end of its clause ("the tenecteplase dose if he has a stroke", "s'il
# refait une anaphylaxie", "au cas où"): what might happen is not happening; left out before
# anything is read. Only a condition with its verb: "if he's breathing" (checking) stays.
HYPOTHETICAL = re.compile(
    r"\b(?:what )?if (?:(?:he|she|they|someone|somebody|anyone|a patient|the patient|my patient|"
    r"a child|the child|a baby|you|we|i) )?(?:ever |then |later |again )?(?:has|have|had|goes|"
    r"went|develops|developed|gets|got|becomes|became|were|stops|arrests|collapses|overdoses|"
    r"reacts|bleeds|is having)\b[^.,;:!?]*"
    r"|\b(?:s'ils?|si (?:elle|elles|on|jamais|un|une|le|la|les|l'|mon|ma|son|sa)) (?:jamais )?"
    r"(?:fait|faisait|refait|refaisait|fera|a|avait|devient|devenait|presente|presentait|"
    r"developpe|developpait|saigne|saignait)\b[^.,;:!?]*"
    r"|\b(?:au cas ou|just in case|in case (?:he|she|they|it))\b[^.,;:!?]*"
)
# What a denial governs, to the end of its clause ("pas de gonflement", "no wheeze, no stridor"):
# left out of what the second reader reads (the word lists weigh denials themselves). Not "not"
# nor "ne … plus", which say the signs themselves ("not breathing", "ne respire plus").
DENIED_SPAN = re.compile(
    r"\b(?:pas de|pas d'|sans|aucune?|ni|absence de|no|without|denies|denied|denying|nie|niant|"
    r"negative for|free of|didn't|did not)\b[^.,;:!?]*"
)
# Said to be fine: "breathing fine", "respire normalement", "pulse present". A sign followed
# by one of these is not one (core.triage), and the reader does not read the pair.
REASSURING = frozenset(
    "fine normally normal bien normalement tranquillement correctement ok okay well present "
    "presente calmement easily "
    # ruled out: "anaphylaxis excluded", "AVC éliminé", "stroke ruled out"
    "excluded exclu exclue elimine eliminee ecarte ecartee ruled negatif negative unlikely "
    "improbable "
    # settled: "breathing is settled now", "respiration stabilisée"
    "settled stable stabilise stabilisee improved better mieux ameliore amelioree".split()
)
# A copula between a sign and what says it is fine: "his breathing is settled".
COPULAS = frozenset("is are was seems looks remains est reste semble".split())
REASSURED_SPAN = re.compile(
    r"\b(?!(?:pas|plus|not|jamais|never|as)\b)[a-z']+ (?:(?:" + "|".join(sorted(COPULAS)) + r") )?"
    r"(?:" + "|".join(sorted(REASSURING)) + r")\b"
    r"(?! (?:de|d'|of)\b)"
)
# Things that cannot be in danger: a clause whose subject is one ("le wifi est mort", "my laptop
# just died", "this audit is killing me") describes no one.
THING_SUBJECT = re.compile(
    r"^(?:(?:le|la|les|mon|ma|mes|notre|nos|ce|cet|cette|ces|the|my|our|this|that|these|those|"
    r"un|une|a|an) |l')?(?:(?:new|old|nouveau|nouvelle|vieux|vieille|stupid|fichue?|foutue?|"
    r"damn) )?"
    + _any(
        r"serveur|server|wifi|wi-fi|reseau|network|internet|ordi|ordinateur|pc|laptop|computer",
        r"telephone|tel|phone|portable|smartphone|batterie|battery|imprimante|printer|scanner "
        r"(?:du secretariat|de bureau)|logiciel|software|dpi|epr|ehr|emr|appli|app|application",
        r"systeme informatique|bip|bipeur|pager|bleep|planning|rota|roster|garde|shift|reunion|"
        r"histoire de (?:codage|cotation|planning|facturation)|codage|cotation|facturation|"
        r"meeting|audit|budget|spreadsheet|tableur|excel|projet|project|ecran|screen|clavier|"
        r"keyboard|intranet|messagerie|inbox|e-?mails?|these|thesis|semaine|journee|week|"
        r"paperasse|paperwork|machine a cafe|coffee machine|ascenseur|lift|elevator|clim",
        r"ward|service|hopital|hospital|department|unit|unite|team|equipe|trust|nhs|clinique|"
        r"clinic|urgences|pharmacie|pharmacy|direction|management",
        r"heat|chaleur|air|atmosphere|ambiance|room|piece|bureau|office|smell|odeur|temperature|"
        r"weather|meteo",
        # (not "le tableau", a clinical picture, nor "numbers": "her numbers are crashing")
        r"(?:bed )?board|bed state|whiteboard|waiting list|liste d'attente|queue|file d'attente|"
        r"morale",
        r"wallet|porte-monnaie|bank account|compte en banque|voiture|bagnole|car|traffic|"
        r"circulation|ring road|periph|arsenal|chelsea|liverpool|spurs|psg|frigo|fridge|cafetiere",
    )
    + r"\b"
)
# That signs began just now (which sequelae of an earlier condition did not).
ONSET = re.compile(
    _any(
        r"\bsoudain",
        r"\bbrutal",
        r"\bd'un coup\b",
        r"\bsudden",
        r"\bstarted\b",
        r"\bvient de\b|\bvenir de\b|\ba l'instant\b|\bjust now\b",
        r"\bdepuis (?:\d+|une|deux|trois|quelques|dix|vingt|trente) ?(?:min|h\b|heures?|minutes?)",
        r"\bil y a (?:\d+|une|deux|trois|quelques|dix|vingt|trente) ?(?:min|h\b|heures?|minutes?)",
        r"\b\d+ ?(?:min|minutes?|hours?|h)\b ago\b",
        r"\b(?:new|nouveaux?|nouvelles?|apparu\w*|appeared)\b",
        r"\bce matin\b|\bthis morning\b|\btoday\b|\baujourd'hui\b",
    )
)
