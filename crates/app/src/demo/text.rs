//! The demo's Danish texts: project descriptions, purposes and guidance.
//! Facts come from the seed decks (via `seed-tasks.json`); the wording of the
//! steps is ours.

use chrono::{Datelike, NaiveDate};
use udrul_core::TaskType;

use super::data::SeedTask;

const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
];

/// "5. oktober 2022".
pub fn danish_date(d: NaiveDate) -> String {
    format!("{}. {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// The meeting whose slides a task comes from.
pub fn deck_name(source: Option<&str>) -> Option<&'static str> {
    let prefix = source?.get(..3)?;
    Some(match prefix {
        "000" => "programledermødet august 2022",
        "001" => "programledermødet oktober 2022",
        "002" => "programledermødet januar 2025",
        "003" => "programledermødet marts 2020",
        "004" => "programledermødet maj 2025",
        _ => return None,
    })
}

pub fn project_description(name: &str) -> String {
    match name {
        "ØiR" => "Økonomi i Rammearkitekturen: basisimplementering af snitfladerne mellem fagsystemerne og kommunernes økonomisystemer, herunder sortimenter for YR og KSD.",
        "KP" => "Kommunernes Pensionssystem: tilslutning, dataudvekslingsaftaler og videreudvikling.",
        "KY" => "Kommunernes Ydelsessystem: idriftsættelse, migrering og tilpasning til kontanthjælpsreformen.",
        "Fælleskommunal infrastruktur" => "Fælleskommunal Adgangsstyring, Fælleskommunalt Organisationssystem og Context Handler: de opgaver, som kommunernes infrastrukturansvarlige løser.",
        "SAPA" => "Sags- og partsoverblik: aftaler om visning af data og forberedelse af helhedsorienteret kontrol.",
        "KLIK 2.0" => "Kommunalt implementeringsforløb for KLIK 2.0: rollegalleri, jobfunktionsroller og kontaktoplysninger.",
        "UDK Begravelseshjælp" => "UDK Begravelseshjælps tilslutning til SF1590_A (Finans) med idriftsættelse den 28. februar 2025.",
        "FK OSS" => "Fælleskommunalt Organisationssystem til SOR-synkronisering (frivillig løsning), udrullet i bølger med parathedsanalyse og go/no go.",
        "FLIS" => "Det Fælleskommunale Ledelsesinformationssystem: adgang til administrationsmodulet via AftaleID.",
        "Borgerblikket" => "Borgerblikket: borgernes indsigt i egne sager og data, herunder visningsalder for unges data.",
        "Valg" => "Valgløsningen: adgang med MitID Erhverv for alle brugere.",
        "Compliancepakker" => "Compliancepakker 2025: dokumentation til kommunernes databeskyttelsesarbejde, sendt til højst to modtagere pr. kommune.",
        _ => return format!("Implementeringsopgaver for {name}."),
    }
    .to_string()
}

/// The purpose: the seed's own, or one written from the title.
pub fn purpose(t: &SeedTask) -> String {
    if let Some(p) = t.purpose.as_deref().filter(|p| !p.trim().is_empty()) {
        return p.trim().to_string();
    }
    let context = match &t.track {
        Some(track) => format!("forløbet »{track}« kan gennemføres som planlagt"),
        None => format!("implementeringen af {} holder tidsplanen", t.project),
    };
    format!(
        "At alle kommuner i tide får løst opgaven »{}«, så {context}.",
        t.title.trim_end_matches('.')
    )
}

/// What we know of a task beyond its title: an introduction, the steps and
/// a link from the decks.
struct Extra {
    intro: &'static str,
    steps: &'static [&'static str],
    link: Option<(&'static str, &'static str)>,
}

#[cfg(test)]
pub(super) fn has_own_steps(project: &str, code: &str) -> bool {
    extra(project, code).is_some()
}

fn extra(project: &str, code: &str) -> Option<Extra> {
    let e = |intro, steps| {
        Some(Extra {
            intro,
            steps,
            link: None,
        })
    };
    match (project, code) {
        ("ØiR", "03") => e(
            "Ejerkredsen/EG, Fujitsu og KMD har bestilt ruter og overvågning for alle deres kommuner, så YR og KSD er klar til den nye sortimentsløsning.",
            &[
                "Spørg jeres leverandør, om ruter og overvågning er etableret for kommunen.",
                "Markér opgaven som fuldført, når leverandøren har bekræftet det.",
            ],
        ),
        ("ØiR", "04") => Some(Extra {
            intro: "Kommunen tegner abonnement på YR- og KSD-sortimentet i den nye sortimentsløsning. En præcisering af vejledningen i bilag 1 og 2 er under udarbejdelse; derfor er slutdatoen flyttet.",
            steps: &[
                "Se den optagede gennemgang af, hvordan I tegner abonnement på sortiment i den nye sortimentsløsning.",
                "Tegn abonnement på YR- og KSD-sortimentet.",
                "Læs den præciserede vejledning i bilag 1 og 2, når den kommer, og ret abonnementet til, hvis det er nødvendigt.",
            ],
            link: Some((
                "Optaget gennemgang: Tegn abonnement på sortiment",
                "https://vimeo.com/400881306/89251f4601",
            )),
        }),
        ("KP", "SKAT 3") => e(
            "Infrastrukturopgave med kort frist. Opgaven er kompleks og kræver involvering af flere parter. Vi beklager, at den ikke kunne publiceres tidligere.",
            &[
                "Aftal med de involverede parter, hvem der gør hvad, så fristen kan holdes.",
                "Opsæt dataudvekslingsaftalen for Kommunernes Pensionssystem.",
                "Kontrollér, at aftalen er aktiv.",
            ],
        ),
        ("KY", "MI 38") => e(
            "Opgaven har potentielt et stort omfang. Tag derfor i god tid stilling til en passende allokering af ressourcer. I kan allerede nu forberede jer og estimere omfanget ud fra data fra 7 udvalgte kommuner (vedhæftet som kommunespecifikt bilag).",
            &[
                "Estimér omfanget ud fra bilaget.",
                "Foretag den resterende sagstilknytning.",
                "Angiv KMD Aktiv-referencer.",
            ],
        ),
        ("Fælleskommunal infrastruktur", "ID 31") => Some(Extra {
            intro: "Opgaven er obligatorisk på kritisk vej. Når alle kommuner har løst den, eller senest primo november, igangsætter KOMBIT leverandørernes skift til NSIS-Context Handler. Derefter kan kommunen kun tilgå it-systemer, der integrerer til Fælleskommunal Adgangsstyring, hvis opgaven er fuldført.",
            steps: &[
                "Etabler trust til NSIS-Context Handler i kommunens IdP – helst ved at linke til metadatafilen, så opdateringer sker automatisk.",
                "Metadatafilen blev opdateret den 27. september 2022, fordi nogle IdP'er ikke kunne læse den tidligere fil. Har I uploadet (ikke linket til) filen før den dato, skal I uploade den igen og dermed gentage en del af opgaven.",
                "Test, at login virker, før I sætter opgaven til fuldført.",
            ],
            link: Some((
                "Værktøjskassen til infrastrukturen",
                "https://digitaliseringskataloget.dk/vaerktoejskassen-til-infrastrukturen",
            )),
        }),
        ("Fælleskommunal infrastruktur", "ORG-UI") => e(
            "Ny funktionalitet i Fælleskommunalt Organisationssystem betyder, at brugere med »Ja« i dataafgrænsningen SeCPR-nummer kan se og skrive CPR-numre i brugergrænsefladen efter den 19. november.",
            &[
                "Find de brugere, der har »Ja« i SeCPR-nummer.",
                "Skift til »Nej« for dem, der ikke skal se CPR-numre. Fra den 22. oktober kan det gøres, uden at brugeren mister adgangen til brugergrænsefladen.",
                "Modellér eventuelt nye jobfunktionsroller.",
            ],
        ),
        ("Fælleskommunal infrastruktur", "POT 01") => e(
            "KOMBIT har lavet en potentialeanalyse (POC) af kommunens tilslutnings- og udbredelsespotentialer. Kommunens egen version af analysen er vedhæftet opgaven.",
            &[
                "Læs kommunens version af potentialeanalysen.",
                "Tag stilling til, hvordan potentialerne kan realiseres.",
                "Giv KOMBIT feedback på analysen.",
            ],
        ),
        ("Fælleskommunal infrastruktur", "POT 02") => e(
            "Svarene bruges til at målrette arbejdet med tilslutning til infrastrukturen.",
            &[
                "Gennemgå listen over it-systemer i bilag 1.",
                "Angiv for hvert system, om kommunen anvender det.",
            ],
        ),
        ("Fælleskommunal infrastruktur", "2FA") => e(
            "Overordnet opgave til de infrastrukturansvarlige. Næsten alle løsninger har desuden publiceret løsningsspecifikke opgaver til de systemansvarlige om det samme. Opgaven blev gennemgået på webinarer den 11. december 2024 og 8. januar 2025.",
            &[
                "Skab overblik over, hvilke brugere af it-systemer med Fælleskommunal Adgangsstyring der mangler to-faktor autentifikation.",
                "Koordinér med de systemansvarlige, og opdatér gerne de løsningsspecifikke opgaver undervejs.",
                "Planlæg tildelingen af to-faktor autentifikation til de brugere, der mangler den.",
            ],
        ),
        ("SAPA", "SAPA 1") => e(
            "Første skridt mod helhedsorienteret kontrol med SAPA.",
            &[
                "Gennemgå kommunens ESDH-løsning sammen med leverandøren.",
                "Forbered løsningen, så kontrolsager kan håndteres helhedsorienteret.",
            ],
        ),
        ("SAPA", "SAPA 2") => e(
            "Opmærkningen gør det muligt at følge kontrolsagerne på tværs af områder.",
            &[
                "Find kommunens kontrolsager.",
                "Opmærk hver sag med det rette kontroltema.",
            ],
        ),
        ("SAPA", "SAPA 3") => e(
            "De nye arbejdsgange skal være på plads, før helhedsorienteret kontrol tages i brug.",
            &[
                "Beskriv de nye arbejdsgange på kontrol- og ydelsesområdet.",
                "Aftal dem med de faglige ledere, og introducér dem for medarbejderne.",
            ],
        ),
        ("SAPA", "K53" | "K54" | "K55") => e(
            "En af tre opgaver om at oprette og underskrive dataudvekslingsaftaler, alle med frist den 18. februar 2025.",
            &[
                "Opret aftalen.",
                "Få den underskrevet af en, der må tegne kommunen.",
                "Sæt opgaven til fuldført, når aftalen er underskrevet.",
            ],
        ),
        ("KLIK 2.0", "MBP") => e(
            "KLIK-administratoren vedligeholder kommunens rollegalleri, personer og kontaktlister.",
            &["Udpeg kommunens KLIK-administrator, og registrér vedkommende."],
        ),
        ("KLIK 2.0", "KLIK 01") => e(
            "Projektlederen koordinerer kommunens implementering af KLIK 2.0.",
            &["Udpeg kommunens projektleder for KLIK 2.0, og registrér vedkommende."],
        ),
        ("KLIK 2.0", "KLIK 02") => e(
            "Roller tildeles i KLIK af kommunens egne administratorer.",
            &[
                "Sørg for, at de medarbejdere, der skal tildele roller, har adgang.",
                "Gennemgå vejledningen om rollegalleriet.",
            ],
        ),
        ("KLIK 2.0", "KLIK 03") => e(
            "KLIK henter organisation og brugere fra Fælleskommunalt Organisationssystem.",
            &[
                "Kontrollér, at kommunens organisationsenheder er korrekte.",
                "Kontrollér, at brugerne er oprettet og placeret rigtigt.",
            ],
        ),
        ("KLIK 2.0", "KLIK 04") => e(
            "Jobfunktionsrollerne styrer, hvad medarbejderne kan i KLIK.",
            &["Opret de jobfunktionsroller, kommunen skal bruge."],
        ),
        ("KLIK 2.0", "KLIK 05") => e(
            "Først når rollerne er koblet til medarbejderne, kan de bruges.",
            &["Kobl jobfunktionsrollerne til de rette medarbejdere."],
        ),
        ("KLIK 2.0", "KLIK 06") => e(
            "Rollegalleriet og kontaktlisterne er kun nyttige, hvis de er opdaterede.",
            &[
                "Beslut, hvem der ajourfører rollegalleriet og kontaktlisterne.",
                "Beskriv arbejdsgangen, så den også holder ved ferie og jobskifte.",
            ],
        ),
        ("KLIK 2.0", "KLIK 07") => e(
            "Phases, leverandøren af KLIK, sender serviceaftalerne ud.",
            &[
                "Kontrollér serviceaftalen for Fælleskommunalt Organisationssystem.",
                "Godkend den.",
            ],
        ),
        ("KLIK 2.0", "KLIK 08") => e(
            "Med rollerne på plads får de rette personer de rette opgaver.",
            &["Tildel roller i KLIK til kommunens medarbejdere."],
        ),
        ("KLIK 2.0", "KLIK 09") => e(
            "Kontaktoplysningerne bruges, når KOMBIT skal have fat i kommunen.",
            &["Opret kommunens kontaktoplysninger i KLIK, herunder funktionspostkasser."],
        ),
        ("UDK Begravelseshjælp", "KLIK 01") => e(
            "UDK Begravelseshjælp tilsluttes SF1590_A med idriftsættelse den 28. februar 2025.",
            &[
                "Planlæg implementeringen af SF1590_A (Finans).",
                "Allokér de nødvendige ressourcer i økonomifunktionen.",
            ],
        ),
        ("UDK Begravelseshjælp", "KLIK 02") => e(
            "Den kommunale finansiering af begravelseshjælp trækkes fra kommunens OBS udbetalingskonto.",
            &["Verificér kontoen, og ret den, hvis den er forkert."],
        ),
        ("UDK Begravelseshjælp", "KLIK 03") => e(
            "Ruterne til bogføringsfiler og kvitteringsfiler kræver godkendte serviceaftaler med leverandørerne.",
            &["Godkend serviceaftalen for hver af ruterne nedenfor."],
        ),
        ("UDK Begravelseshjælp", "KLIK 04") => e(
            "Abonnementet giver kommunen adgang til finanssortimentet.",
            &["Tegn abonnement på UDK Begravelseshjælps finanssortiment."],
        ),
        ("UDK Begravelseshjælp", "KLIK 05") => e(
            "Mapningen sikrer, at posteringerne lander på de rigtige konti.",
            &["Map værdierne fra finanssortimentet i bogføringssystemets omsætningstabel."],
        ),
        ("UDK Begravelseshjælp", "KLIK 06") => e(
            "Ruten skal være aktiv inden idriftsættelsen.",
            &["Aktivér ruten til bogføringsfiler."],
        ),
        ("UDK Begravelseshjælp", "KLIK 07") => e(
            "Opgaven løses efter idriftsættelsen den 28. februar 2025.",
            &["Kontrollér, at bogføringen i kommunens bogføringssystem er korrekt."],
        ),
        ("FK OSS", "G1") => e(
            "FK OSS er en frivillig løsning. Fordi FK ORG er master for data i SOR, skal kommunen i parathedsanalysen undersøge, hvor enhedernes data i FK ORG og SOR er forskellige.",
            &[
                "Beslut, om kommunen vil deltage i parathedsanalysen i bølge 2.",
                "Opgaven er udført, når kommunen har besluttet enten at deltage eller ikke at deltage.",
            ],
        ),
        ("FK OSS", "G2") => e(
            "Kun for kommuner, der sagde ja ved G1. Et ja publicerer de 22 implementeringsopgaver til kommunen; implementeringen varer 3 måneder med go-live den 1. september 2025.",
            &[
                "Gennemgå resultatet af parathedsanalysen.",
                "Beslut, om kommunen kan nå at rette data i FK ORG inden go-live.",
                "Træf beslutningen om go/no go til udrulningsforløbet.",
            ],
        ),
        ("FLIS", "FLIS AftaleID") => e(
            "Opgaven har tre trin; svaret hører til trin 3. Uden AftaleID kan kommunen ikke tilgå FLIS' administrationsmodul, og AftaleID skal være indmeldt senest den 28. maj for at få adgang til årsopgørelse i SAPA fra uge 23.",
            &[
                "Trin 1 og 2: find kommunens AftaleID.",
                "Trin 3: indmeld AftaleID.",
            ],
        ),
        ("KY", "KR MI 02") => e(
            "Manglende mapning giver konteringer i økonomisystemet, der ikke er koblet til ydelsesnavne.",
            &[
                "Map de nye ydelsesarter og ydelsestyper fra kontanthjælpsreformen i jeres økonomisystem.",
            ],
        ),
        ("KY", "KR MI 03") => e(
            "Manglende opsætning kan betyde, at brugergrupper med adgangsstyring ikke kan behandle opgaver, fx HTF, overgangsopgaver og SÆS.",
            &[
                "Gennemgå de eksisterende brugersystemroller.",
                "Tag stilling til ændringerne, og gennemfør dem.",
            ],
        ),
        ("KY", "KR SA 01") => e(
            "Medicintilskud virker ikke uden godkendte serviceaftaler.",
            &[
                "Godkend serviceaftalerne.",
                "Aktivér ruten på PROD mellem KY og CTR.",
            ],
        ),
        ("KY", "KR MI 04") => e(
            "Er kommunen ikke opsat korrekt i FK-Org, kan KY ikke understøtte kommunens forretningsbehov.",
            &["Opsæt kommunens organisation for KY i FK-Org."],
        ),
        ("KY", "KR NUL") => e(
            "Opgaven er valgfri: kommunen vælger selv, om den vil foretage nulsumstesten.",
            &[
                "Gennemfør nulsumstesten, eller sæt opgaven til ikke relevant med en kort begrundelse.",
            ],
        ),
        ("KY", "KR DOM") => e(
            "Få kommuner bliver berørt af denne opgave, så den er kun publiceret til dem.",
            &[
                "Find sager med en periode med 'nedsættelse efter dom', der spænder over 1. juli 2025.",
                "Behandl dem efter vejledningen fra KY.",
            ],
        ),
        ("Borgerblikket", "BB UNGE") => e(
            "Opgaven sendes den 9. juni 2025 med en informationspakke, herunder en Excel-liste med de KLE-numre med unges data, der gælder for jeres kommune.",
            &[
                "Gennemgå listen over KLE-numre.",
                "Vurder for hvert nummer, om visningsalderen skal hæves, og registrér beslutningen.",
            ],
        ),
        ("Valg", "VALG MitID") => e(
            "Valgløsningen kræver MitID Erhverv for alle brugere.",
            &[
                "Find alle kommunens brugere af VALG-løsningen.",
                "Tildel dem MitID Erhverv, og kontrollér, at de kan logge på.",
            ],
        ),
        ("KLIK 2.0", "KLIK 10") => e(
            "Et halvt år efter idriftsættelsen ser vi på, om arbejdsgangene fra KLIK 06 holder.",
            &[
                "Gennemgå rollegalleriet og kontaktlisterne: er de opdaterede?",
                "Justér arbejdsgangene, hvor de ikke holder.",
            ],
        ),
        ("Compliancepakker", "CP 2025") => e(
            "Højst 2 personer pr. kommune kan modtage compliancepakkerne.",
            &[
                "Udpeg op til to modtagere.",
                "Registrér dem med rollen i rollegalleriet.",
            ],
        ),
        _ => None,
    }
}

const GENERIC_STEPS: &[&str] = &[
    "Læs formålet og vejledningen, og aftal, hvem der er ansvarlig.",
    "Løs opgaven som beskrevet i titlen.",
];

/// Markdown guidance for a task: introduction, numbered steps, facts, answer
/// form and sub-items, the source, and any demo notes (as block quotes).
pub fn guidance(t: &SeedTask, task_type: TaskType, demo_notes: &[String]) -> String {
    let extra = extra(&t.project, &t.code);
    let mut s = String::from("## Sådan løser I opgaven\n\n");
    if let Some(intro) = extra.as_ref().map(|e| e.intro) {
        s.push_str(intro);
        s.push_str("\n\n");
    }
    let steps = extra.as_ref().map_or(GENERIC_STEPS, |e| e.steps);
    let mut n = 0;
    for step in steps {
        n += 1;
        s.push_str(&format!("{n}. {step}\n"));
    }
    s.push_str(&format!(
        "{}. Sæt udførelsesstatus til **påbegyndt**, når I går i gang, og til **fuldført**, når opgaven er løst – senest **{}**.\n\n",
        n + 1,
        danish_date(t.end)
    ));

    if task_type == TaskType::CriticalPath {
        s.push_str("Opgaven er **obligatorisk på kritisk vej**: forsinkes den, forsinkes hele forløbet.\n\n");
    } else if task_type == TaskType::Optional {
        s.push_str("Opgaven er **valgfri**. Er den ikke relevant for jer, så sæt status til *ikke relevant* med en kort begrundelse.\n\n");
    }

    let mut facts = Vec::new();
    if !t.target_roles.is_empty() {
        facts.push(format!("- **Målgruppe:** {}", t.target_roles.join(", ")));
    }
    if let Some(track) = &t.track {
        facts.push(format!("- **Implementeringsforløb:** {track}"));
    }
    if let Some(phase) = &t.phase {
        facts.push(format!("- **Fase:** {phase}"));
    }
    if let Some(first) = t.end_history.first() {
        facts.push(format!(
            "- **Oprindelig slutdato:** {} (seneste slutdato: {})",
            danish_date(first.from),
            danish_date(t.end)
        ));
    }
    if !facts.is_empty() {
        s.push_str("### Fakta\n\n");
        s.push_str(&facts.join("\n"));
        s.push_str("\n\n");
    }

    if !t.answer_form.is_empty() {
        s.push_str("### Svar\n\nOpgaven beder om:\n\n");
        for f in &t.answer_form {
            let kind = match f.kind.as_str() {
                "text" => "tekst",
                "decision" => "ja/nej-beslutning",
                "multi_choice" => "valg blandt flere muligheder",
                "agreement" => "underskrevet aftale",
                "file" => "fil",
                other => other,
            };
            let from = f
                .options_from
                .as_deref()
                .map(|o| format!(" (mulighederne står i {o})"))
                .unwrap_or_default();
            s.push_str(&format!("- {} – {kind}{from}\n", f.label));
        }
        s.push_str("\n> **Demo:** Svarformularer kommer i en senere version af Udrul. Indtil da sætter I blot udførelsesstatus.\n\n");
    }

    if !t.subitems.is_empty() {
        s.push_str("### Delopgaver\n\n");
        for item in &t.subitems {
            s.push_str(&format!("- {}\n", item.label));
        }
        if !t.subitem_statuses.is_empty() {
            s.push_str(&format!(
                "\nHver delopgave har sin egen status: {}.\n",
                super::join_danish_with(&t.subitem_statuses, "eller")
            ));
        }
        s.push_str(
            "\n> **Demo:** Delopgaver med egen status kommer i en senere version af Udrul.\n\n",
        );
    }

    if let Some((label, url)) = extra.as_ref().and_then(|e| e.link) {
        s.push_str(&format!("Læs mere: [{label}]({url})\n\n"));
    }
    if let Some(deck) = deck_name(t.source.as_deref()) {
        s.push_str(&format!("*Kilde: {deck}.*\n\n"));
    }
    for note in demo_notes {
        s.push_str(&format!("> **Demo:** {note}\n\n"));
    }
    s.trim_end().to_string() + "\n"
}

/// Why a member marked a task not relevant.
pub fn not_relevant_reason(t: &SeedTask, gate: bool, pick: usize) -> String {
    if gate {
        return "Kommunen har besluttet ikke at deltage i parathedsanalysen i bølge 2.".into();
    }
    const OPTIONAL: &[&str] = &[
        "Vi har valgt ikke at foretage testen denne gang.",
        "Leverandøren foretager testen for os.",
        "Ikke relevant: vi har ingen sager af denne type.",
    ];
    const OTHER: &[&str] = &[
        "Kommunen anvender ikke løsningen.",
        "Opgaven løses af leverandøren på kommunens vegne.",
        "Ikke relevant for kommunens opsætning.",
    ];
    let list = if t.task_type == "valgfri" {
        OPTIONAL
    } else {
        OTHER
    };
    list[pick % list.len()].to_string()
}
