"""Word lists that tell a person's name from the words around it (pure data): common first
names, and the common French and English words that are never a name on their own."""

from __future__ import annotations

import unicodedata

# Common given names (France, UK, US, and the names most given in France since 1950 to
# children of North African, Portuguese and West African families).
FIRST_NAMES = frozenset(
    "jean marc pierre michel philippe alain nicolas christophe patrick daniel bernard eric "
    "frederic "
    "laurent stephane david olivier thierry francois julien sebastien pascal thomas jacques "
    "antoine louis paul lucas hugo leo gabriel arthur noah jules adam raphael ethan nathan theo "
    "mathis tom maxime alexandre romain vincent guillaume jerome gilles didier serge claude "
    "yves rene andre marcel henri georges roger robert gerard jacky joel franck fabrice cedric "
    "benoit arnaud mathieu matthieu florian quentin kevin anthony jeremy jordan dylan enzo "
    "baptiste clement valentin adrien damien xavier yann loic gael erwan ronan killian "
    "timothee victor martin samuel simon etienne emile raymond lucien gaston marius "
    "marie nathalie isabelle sylvie catherine francoise martine christine monique valerie "
    "sophie sandrine celine julie aurelie camille lea manon emma chloe ines jade louise alice "
    "lina rose anna zoe sarah clara lucie pauline claire anne helene elise juliette margaux "
    "amira yasmine fatima nadia leila mohamed ahmed karim mehdi yanis rayan amine youssef omar "
    "odette yvonne jeanne simone denise colette ginette josette paulette germaine suzanne "
    "madeleine genevieve therese jacqueline micheline nicole brigitte chantal dominique "
    "patricia veronique corinne florence virginie stephanie emilie elodie melanie audrey "
    "laetitia caroline marion justine oceane morgane laura mathilde charlotte agathe "
    "ambre romane nina eva jeanne mila rose leonie capucine margot victoire adele apolline "
    "fatou aminata mariama awa moussa mamadou ibrahima abdel abdelkader rachid samir nabil "
    "farid malik bilal hamza sofiane ilyes nassim salma amel sonia samia naima khadija "
    "joao jose manuel antonio carlos maria ana luis miguel paulo pedro rui sergio "
    "john james robert michael william richard joseph charles christopher matthew anthony mark "
    "steven andrew kenneth joshua kevin brian george timothy ronald edward jason jeffrey ryan "
    "jacob gary jonathan stephen larry justin scott brandon benjamin samuel frank gregory "
    "alexander jack dennis jerry tyler aaron henry peter harry oliver charlie oscar "
    "mary jennifer linda elizabeth barbara susan jessica karen lisa nancy betty "
    "margaret sandra ashley kimberly emily donna michelle carol amanda melissa deborah "
    "rebecca sharon cynthia kathleen amy angela shirley brenda pamela "
    "helen samantha katherine debra rachel carolyn janet heather "
    "diane ruth olivia joyce virginia victoria kelly lauren christina joan evelyn judith "
    "megan andrea cheryl hannah martha gloria teresa ann sara madison frances "
    "kathryn janice abigail judy sophia grace amber doris marilyn danielle "
    "beverly isabella theresa diana natalie brittany kayla alexis lori "
    "chris tony tim jim mike dave steve pete rob bob tom ben sam joe dan nick matt alex "
    "liam noah jack harry george charlie jacob thomas oscar william james leo archie alfie "
    "freddie theo arthur henry ethan mason logan lucas isaac joshua finley harrison "
    "amelia isla ava mia ivy lily sophie poppy ella evie grace freya florence willow "
    "rosie phoebe daisy sienna matilda millie ruby imogen harriet beatrice eleanor "
    "priya anita sunita raj ravi sanjay amit arjun deepak rahul aisha ayesha fatima zainab "
    "tuan linh minh wei li ming chen yuki kenji hiroshi "
    # names and short forms wards sign with (UK, Ireland, France), 2026-12-08
    "fiona jen jenny jenna jess jessie kate katie becky becca beth bethany maggie meg lucy "
    "lottie tilly libby abby abbie gemma kirsty kerry lindsay lindsey shona morag ailsa eilidh "
    "iona catriona moira siobhan niamh aoife ciara orla roisin sinead saoirse clodagh callum "
    "calum ewan euan angus hamish fraser ross craig gavin neil iain ian alistair alasdair rory "
    "conor connor declan sean shaun niall padraig cian oisin eoin jamie josh joey jojo jon "
    "jonny johnny jimmy tommy danny davy ollie olly nate teddy zac zach jake luke kieran owen "
    "rhys gareth dafydd iwan sian cerys bethan ffion carys nicky vicky sally ellie molly holly "
    "polly tess tessa gail jill jane jackie jacqui mandy wendy tracy tracey andy billy harvey "
    "jasper rupert toby seb felix femi tunde chidi emeka ngozi funmi kemi yemi ali hassan "
    "hussein ibrahim imran irfan asif tariq usman zain zara zaynab hira momo manu mathias matteo "
    "nolan timeo sacha sasha lukas nael maelle maeva lola louna anais elsa elena eloise nadege "
    "solene soline gaelle noemie coralie delphine estelle fanny gwen gwenaelle laure magali "
    "mylene sabine severine sylvaine tiphaine yvette huguette mireille odile renee lucienne "
    "marcelle raymonde fernande bertrand hubert thibault thibaut gregoire ludovic mickael "
    "sylvain tristan yannick yohan johan kader karima latifa malika nora rachida souad yamina "
    "zohra djamel hakim lyes nourdine annie josiane jocelyne evelyne yolande arlette liliane "
    "viviane solange gisele janine nadine claudine francine ghislaine bernadette annick maryse "
    "joelle sylviane roselyne murielle muriel pascale fabienne laurence agnes maurice roland "
    "fernand albert norbert gerald herve bruno denis lionel regis hugues jeannine michele "
    "armand leon".split()
)

# Words that follow "Mme", "Dr", a sign-off or a role, or that spaCy's French pipeline may tag
# as a name in English text, and are not names: function words, common verbs, and clinical
# words. Lower case, without accents.
_COMMON_TEXT = (
    # French function words and frequent verbs
    "a à ai as au aux avec avait avoir ce ces cet cette chez comme dans de des du elle elles "
    "en est et etait été etre être eu fait faire il ils je la le les leur lui ma mais me mes "
    "moi mon ne ni nos notre nous on ont ou où par pas peu pour qu que quel quelle qui sa sans "
    "se ses si son sont sous sur ta te tes toi ton tu un une va vas vient vous y dit dis "
    "doit peut veut sait pense trouve semble parle demande appelle appele souhaite arrive "
    "part sort reste passe prend prends donne voit vu vue revu revue signale presente "
    "aussi alors donc puis encore deja déjà toujours jamais bien tres très trop plus moins "
    "ici la-bas là aujourd hui demain hier matin soir nuit midi semaine mois an ans "
    "tout tous toute toutes rien personne chacun autre autres meme même quoi dont "
    "oui non ok svp stp merci bonjour bonsoir salut coucou bises cordialement "
    "beaucoup avance d'avance davance encore pour tous tout le monde equipe équipe team "
    "docteur docteure professeur madame monsieur mademoiselle patient patiente patients "
    "interne internes externe chef cadre ide iade infirmier infirmiere infirmière garde "
    "service urgences urgence bloc reanimation réanimation rea réa samu smur "
    # places in a ward: "le monsieur du box 5", "madame de la chambre 12"
    "box lit chambre salle etage étage couloir bureau accueil secteur unite unité bed room bay "
    "ward side theatre resus cubicle "
    # specialties and teams after a role or on a signature line: "IDE Ortho", "SpR Cardiology"
    "ortho orthopedie orthopaedics cardio cardiologie cardiology neuro neurologie neurology "
    "pneumo pneumologie gastro gastroenterologie gastroenterology uro urologie urology "
    "gyneco gynecologie obstetrique obstetrics paeds pediatrie paediatrics peds rea "
    "anesth anesthesie anaesthetics anesthesia geriatrie geriatrics onco oncologie oncology "
    "hemato hematologie haematology derm dermato dermatology orl ent psy psych psychiatrie "
    "psychiatry chir chirurgie surgery surgical medecine medicine nephro nephrologie nephrology "
    "renal endocrino endocrinology diabeto rhumato rheumatology outreach pharmacy pharmacie "
    # English function words and frequent verbs
    "the an and or but if of in on at by for with from to into onto about after before "
    "is are was were be been being has have had do does did will would can could should "
    "may might must shall i you he she it we they me him her us them my your his its our "
    "their this that these those who whom whose which what when where why how not no yes "
    "all any some one two three each every both either neither other another such same "
    "said says asked asks called calls came comes went goes wants needs thinks seems "
    "just also still already again here there now then today tomorrow yesterday morning "
    "evening night week month year years ago very too more less much many few "
    "thanks thank regards cheers best wishes kind warm everyone all team folks guys hi hello "
    "doctor nurse sister ward bed room side face speech arm leg head chest pain dose "
    "please pls ok okay sure yes no thx ty "
    # clinical words that follow a civility or a role in chat ("patient diabétique")
    "diabetique diabétique diabetic allergique allergic age âgé agé agee âgée elderly "
    "enceinte pregnant admis admitted sortant discharged decede décédé deceased "
    "sous on avec under with sans without suivi followed vu seen hospitalise hospitalisé "
    "traite traité treated "
    # days and months: "package of care from Monday" signs nothing
    "lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier février mars avril "
    "mai juin juillet aout août septembre octobre novembre decembre décembre monday tuesday "
    "wednesday thursday friday saturday sunday january february march april june july "
    "august september october november december"
)


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


COMMON_WORDS = frozenset(fold(word) for word in _COMMON_TEXT.split())
# Words that never start a surname, even capitalised ("Marie Est…" is a sentence).
FUNCTION_WORDS = frozenset(
    "a au aux avec ce de des du en est et il la le les ne ou par pas pour que qui se sous sur "
    "un une the and or of in on at to is was has had for with from by an as it this that not "
    "but if so".split()
)


def is_first_name(word: str) -> bool:
    """A common given name, accents and hyphenated halves ("Jean-Pierre") included."""
    return fold(word.split("-")[0].strip(".,;:'’")) in FIRST_NAMES
