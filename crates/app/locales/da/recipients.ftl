# Hvem en opgave når ud til: opgavens målroller slået op i hvert medlems
# rollegalleri (web/tasks/recipients.rs).
recipients-title = Modtagere
task-tab-recipients = Modtagere
recipients-heading = Hvem opgaven når ud til
recipients-summary = Når ud til { $people ->
    [one] én person
   *[other] { $people } personer
} og { $mailboxes ->
    [one] én postkasse
   *[other] { $mailboxes } postkasser
} hos { $members ->
    [one] ét medlem
   *[other] { $members } medlemmer
}.
recipients-summary-gaps = { $n ->
    [one] Ét medlem har
   *[other] { $n } medlemmer har
} ingen indehaver af en målrolle; hvor der er en fælles postkasse, får den opgaven i stedet.
recipients-summary-unreached = { $n ->
    [one] Hos ét medlem
   *[other] Hos { $n } medlemmer
} når opgaven ingen.
recipients-summary-unreachable = { $n ->
    [one] Én indehaver har
   *[other] { $n } indehavere har
} ingen e-mailadresse.
recipients-summary-no-roles = Opgaven har ingen målroller: den går til hvert medlems fælles postkasse.
recipients-summary-link = Se hvem opgaven når ud til, medlem for medlem
recipients-lead = Hvem opgaven når ud til { $s }, ud fra hvert medlems rollegalleri: de nuværende indehavere af dens målroller (fratrådte tæller ikke) og rollernes funktionspostkasser. Hvor en målrolle ikke når nogen, får medlemmets fælles postkasse opgaven i stedet.
recipients-scope-draft = Opgaven er en kladde: listen viser alle de medlemmer, den kan udgives til.
recipients-scope-published = Listen viser de medlemmer, opgaven er udgivet til.
recipients-target-roles = Målroller
recipients-caption = Modtagere pr. medlem, dem der kræver opmærksomhed først
recipients-col-people = Personer
recipients-col-mailboxes = Postkasser
recipients-col-attention = Kræver opmærksomhed
recipients-col-kind = Slags
recipients-col-name = Navn
recipients-col-roles = Roller
recipients-col-gaps = Målroller uden indehaver
recipients-attention-tag = kræver opmærksomhed
recipients-primary = primær
recipients-general-mailbox = fælles postkasse
recipients-instead-of = i stedet for { $s }
recipients-gap = Ingen indehaver af { $s }.
recipients-nobody-for = Ingen får den for { $s }: medlemmet har ingen fælles postkasse.
recipients-no-email = Uden e-mailadresse: { $s }.
recipients-reaches-nobody = Opgaven når ingen her.
recipients-nothing = Intet
recipients-none = ingen
recipients-no-members = Ingen medlemmer passer til filtrene.
recipients-export-csv = Hent modtagerne som CSV
recipients-export-xlsx = Hent modtagerne som Excel-regneark (XLSX)
recipients-file-prefix = modtagere
recipients-kind-person = Person
recipients-kind-role-mailbox = Rollens postkasse
recipients-kind-general = Fælles postkasse
recipients-kind-fallback = Fælles postkasse (i stedet for manglende indehavere)
recipients-kind-no-email = Indehaver uden e-mailadresse
recipients-kind-nobody = Ingen
recipients-publish-for-all = Hvis opgaven udgives til alle medlemmer:
recipients-publish-for-selection = Med de valgte medlemmer:
audit-action-task-recipients-export = hentede en opgaves modtagere
