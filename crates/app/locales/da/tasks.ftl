# Centrale sider: projekter, opgaver, udgivelse, slutdato, opfølgning.

## Projekter
project-list-title = Projekter
project-list-caption = Projekter og deres opgaver
project-list-empty = Der er ingen projekter endnu.
project-new-link = Nyt projekt
project-new-title = Nyt projekt
project-create = Opret projekt
project-created = Projektet er oprettet.
project-back-to-list = Tilbage til projekterne
project-task-count = { $n ->
    [one] Én opgave
   *[other] { $n } opgaver
}
hint-project-name = Navnet skal være entydigt, f.eks. "Fælleskommunal infrastruktur".
col-tasks = Opgaver

## Opgavelisten
task-list-title = Opgaver
task-list-caption = Opgaver med tilstand og fremdrift
task-list-summary = { $n ->
    [0] Ingen opgaver passer til filtrene.
    [one] Én opgave.
   *[other] { $n } opgaver.
}
task-new-link = Ny opgave
task-progress = { $settled } af { $total }
task-progress-settled = { $settled } af { $total } medlemmer er færdige
task-not-published = ikke udgivet
task-follow-up-link = Opfølgning
filter-state = Tilstand
filter-all-states = Alle tilstande
filter-project = Projekt
filter-all-projects = Alle projekter
col-progress = Fremdrift
col-follow-up = Opfølgning

task-state-draft = Kladde
task-state-published = Udgivet
task-state-closed = Lukket
task-state-withdrawn = Trukket tilbage

## Opgaveformularen
task-new-title = Ny opgave
task-new-lead = Opgaven gemmes som kladde. Medlemmerne ser den først, når du udgiver den.
task-edit-title = Rediger kladden { $s }
task-create-draft = Gem som kladde
task-save-draft = Gem kladden
task-choose-project = Vælg et projekt
task-no-projects = Der er ingen projekter endnu.
task-no-roles = Rollekataloget er tomt.
task-edit-conflict = En anden har gemt kladden, mens du redigerede. Dine ændringer står herunder; gemmer du igen, erstatter de den andens.
task-edit-conflict-link = Se den gemte udgave (dine ændringer her går tabt)
hint-task-code = F.eks. "ID 31" eller "KLIK 03".
hint-task-purpose = Hvorfor opgaven skal løses.
hint-task-guidance = Skrives i Markdown: # overskrift, **fed**, - punkter, [link](https://…). HTML og scripts fjernes.
hint-task-phase = Implementeringsforløbets fase, f.eks. Klargøring.
hint-task-target-roles = De roller hos medlemmerne, opgaven er rettet til.
hint-task-end-date = Opgaven skal være løst senest ved udgangen af denne dag (dansk tid).
field-members = Enkelte medlemmer
field-regions = Hele regioner
field-networks = Netværk

## Opgavesiden
task-back-to-list = Tilbage til opgaverne
task-back-to-task = Tilbage til opgaven
task-tabs-label = Opgavens sider
task-tab-task = Opgaven
task-tab-follow-up = Opfølgning
task-none = Ingen
task-actions-heading = Handlinger
task-no-actions = Opgaven kan ikke ændres i denne tilstand.
task-action-edit = Rediger kladden
task-action-publish = Udgiv
task-action-end-date = Ændr slutdato
task-action-close = Luk opgaven
task-action-withdraw = Træk opgaven tilbage
task-action-follow-up = Se opfølgningen
task-notice-created = Kladden er oprettet.
task-notice-saved = Kladden er gemt.
task-notice-published = Opgaven er udgivet.
task-notice-end-date = Slutdatoen er ændret.
task-notice-closed = Opgaven er lukket.
task-notice-withdrawn = Opgaven er trukket tilbage.
task-history-created = oprettet som kladde
task-history-updated = kladden redigeret
task-history-published = { $n ->
    [one] udgivet til ét medlem
   *[other] udgivet til { $n } medlemmer
}
task-history-end-date = slutdatoen ændret
task-history-closed = lukket
task-history-withdrawn = trukket tilbage

## Udgivelse
task-publish-title = Udgiv { $s }
task-publish-lead = Vælg, hvem opgaven skal sendes til. Når den er udgivet, får hvert medlem sin egen udgave, og opgaven kan ikke længere redigeres.
task-publish-all = { $n ->
    [one] Alle medlemmer (ét)
   *[other] Alle medlemmer ({ $n })
}
task-publish-selection = Udvalgte medlemmer, regioner og netværk
task-publish-selection-hint = Opgaven sendes til alle medlemmer, der er valgt herunder: enkeltvis, via en hel region eller via et netværk.
task-publish-regions = Hele regioner
task-publish-networks = Netværk
task-publish-no-networks = Ingen medlemmer har et netværk.
task-publish-members = Enkelte medlemmer, efter region
task-publish-submit = Udgiv opgaven
error-publish-not-draft = Kun kladder kan udgives.

## Slutdato
task-end-date-title = Ændr slutdato for { $s }
task-end-date-current = Nuværende slutdato
task-end-date-lead = Den gamle dato og begrundelsen gemmes i opgavens historik, som medlemmerne også kan se.
task-end-date-submit = Ændr slutdato
hint-end-date-reason = F.eks. "Leverandøren er forsinket".
error-end-date-state = Slutdatoen kan kun ændres for kladder og udgivne opgaver.

## Luk og træk tilbage
task-close-question = Luk opgaven?
task-close-explanation = Medlemmerne kan stadig se opgaven, men ikke længere ændre deres status. Det kan ikke gøres om.
task-close-button = Ja, luk opgaven
task-withdraw-question = Træk opgaven tilbage?
task-withdraw-explanation = Opgaven forsvinder fra medlemmernes lister. Det kan ikke gøres om.
task-withdraw-button = Ja, træk opgaven tilbage
task-confirm-cancel = Nej, tilbage til opgaven

## Opfølgning
follow-up-title = Opfølgning
follow-up-counts-heading = { $n ->
    [one] Status for ét medlem
   *[other] Status for { $n } medlemmer
}
follow-up-percent = { $n } %
follow-up-bar-label = Status for { $total } medlemmer: { $done } fuldført, { $started } påbegyndt, { $not_started } ikke påbegyndt og { $not_relevant } ikke relevant.
follow-up-legend = Signaturforklaring
follow-up-no-members = Ingen medlemmer passer til filtrene.
follow-up-filtered-region = Kun medlemmer i { $s }.
follow-up-filtered-network = Kun medlemmer i netværk { $s }.
follow-up-filtered-both = Kun medlemmer i { $region } og netværk { $network }.
filter-all-regions = Alle regioner
filter-all-networks = Alle netværk
follow-up-not-done-heading = { $n ->
    [0] Alle er færdige
    [one] Ét medlem er ikke færdigt
   *[other] { $n } medlemmer er ikke færdige
}
follow-up-all-done = Alle medlemmer har fuldført opgaven eller meldt den ikke relevant.
follow-up-table-caption = Medlemmer, der ikke er færdige
follow-up-export-csv = Hent listen som CSV
follow-up-export-xlsx = Hent listen som Excel-regneark (XLSX)
follow-up-file-prefix = opfoelgning
error-follow-up-not-published = Der er kun opfølgning på udgivne og lukkede opgaver.

## Issue 11: guidance nested too deeply.
error-guidance-nesting = må højst have citater og lister { $n } niveauer inde i hinanden.
