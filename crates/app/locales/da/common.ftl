# Fælles tekster: layout, login, fejl, felter, statusser.
#
# Ordliste: ét ord pr. begreb i hvert sprog (begreb: dansk → engelsk).
# Tjekkes af tests/catalogue.rs (forbudte konkurrerende ord).
#   organisationen, der får opgaver (her kommunerne): medlem → member
#     (ikke "kommune", "medlem(mer)"; "jeres" kun til medlemmets egne brugere)
#   central opgave: opgave → task; medlemmets kopi: medlemmets opgave → member's task
#   sidste dag for opgaven: slutdato → end date (ikke "frist", "deadline")
#   udført hos medlemmet (udførelsesstatus): fuldført → done
#   fuldført eller ikke relevant: færdig → settled
#   opgave, centralt gjort færdig (tilstand): lukket → closed (ikke "afsluttet")
#   efter slutdatoen og ikke færdig: overskredet → overdue
#   sendt til medlemmerne: udgivet → published; tilbagetrukket → withdrawn
#   person med ansvaret: ansvarlig → responsible; den der gør det: udfører → doer
skip-to-content = Gå til indhold
nav-label = Hovedmenu
nav-tasks = Opgaver
nav-projects = Projekter
nav-api = API
nav-my-tasks = Mine opgaver
logout = Log ud
footer-text = Udrul – fælles opgaver, lokal udførelse.

login-title = Log ind
login-username = Brugernavn
login-password = Adgangskode
login-submit = Log ind
login-failed = Brugernavn eller adgangskode er forkert.

error-title = Der skete en fejl
error-back-home = Til forsiden
error-not-found = Siden findes ikke, eller du har ikke adgang til den.
error-forbidden = Du har ikke adgang til denne side.
error-csrf = Formularen var udløbet eller kom fra et andet websted. Genindlæs siden og prøv igen.
error-too-large = Indholdet er for stort.
error-unavailable = Databasen svarer ikke lige nu. Prøv igen om lidt.
error-internal = Der skete en uventet fejl. Den er logget.
error-invalid = Oplysningerne er ugyldige.
error-version-conflict = En anden har gemt en ændring i mellemtiden. Se de aktuelle oplysninger og prøv igen.
error-duplicate = Navnet er allerede i brug.
error-not-draft = Kun kladder kan redigeres.
error-member-role = Medlemsroller (også robotter) skal have et medlem; centrale roller og revisorer har intet.
error-not-staff = Brugeren er ikke central projektmedarbejder.
error-not-robot = Brugeren er ikke en aktiv robot.
error-expiry-past = Udløbet skal ligge i fremtiden.
error-state-transition = Opgaven kan ikke skifte til den tilstand herfra.
error-task-not-open = Opgaven er ikke åben for ændringer.

form-errors-title = Der er problemer med formularen
error-required = skal udfyldes.
error-too-long = må højst være { $n } tegn.
error-control-chars = indeholder kontroltegn, som ikke hører hjemme i tekst.
error-date = skal være en dato (åååå-mm-dd).
# Tegn og datoer, der afvises (issue 11): samme kontrol i formularer, API, SCIM og import.
error-invisible-chars = indeholder usynlige tegn eller tegn, der vender tekstretningen.
error-line-break = skal stå på én linje uden linjeskift eller tabulator.
error-date-range = skal ligge mellem 1. januar 2000 og 31. december 2100.
error-username-spaces = må ikke indeholde mellemrum.
error-choice = skal være et af de viste valg.
error-out-of-range = ligger uden for det tilladte interval.
error-too-many = der er for mange.
error-end-before-start = slutdatoen ligger før startdatoen.
error-reason-required = skal udfyldes, når opgaven ikke er relevant.
error-audience-both = vælg enten alle medlemmer eller et udvalg, ikke begge.
error-audience-empty = vælg mindst ét medlem, en region eller et netværk.
error-unknown-project = projektet findes ikke.
error-unknown-role = rollen findes ikke i rollekataloget.
error-unknown-member = et af de valgte medlemmer findes ikke.
error-unknown-region = regionen findes ikke.
error-unknown-network = netværket findes ikke.
error-unknown-org-unit = enheden findes ikke hos dette medlem.
error-unknown-person = personen findes ikke hos dette medlem.
error-person-left = personen er fratrådt og kan ikke få roller.
error-email = skal være en e-mailadresse (navn@domæne.dk).
error-max-holders = skal være et helt tal fra 1 til 1000, eller tomt for ingen grænse.
error-to-before-from = til-datoen ligger før fra-datoen.
error-role-already-held = personen har allerede rollen i den periode.
error-role-max-holders = rollen har allerede det højeste antal indehavere i den periode.
error-role-one-primary = rollen har allerede en primær indehaver i den periode.
error-role-max-below-holders = et medlem har allerede flere indehavere på én gang; afslut nogle først.

field-project_id = Projekt
field-code = Kode
field-title = Titel
field-purpose = Formål
field-guidance = Vejledning
field-task_type = Type
field-phase = Fase
field-target_roles = Målgrupperoller
field-start_date = Startdato
field-end_date = Slutdato
field-reason = Begrundelse
field-audience = Modtagere
field-name = Navn
field-description = Beskrivelse
field-status = Udførelsesstatus
field-not_relevant_reason = Begrundelse, hvis opgaven ikke er relevant
field-responsible = Ansvarlig
field-doer = Udfører
field-version = Version
hint-not-relevant-reason = Skal udfyldes, hvis du vælger "Ikke relevant".

task-type-obligatorisk = Obligatorisk
task-type-obligatorisk_kritisk_vej = Obligatorisk på kritisk vej
task-type-valgfri = Valgfri
status-ikke_paabegyndt = Ikke påbegyndt
status-paabegyndt = Påbegyndt
status-fuldfoert = Fuldført
status-ikke_relevant = Ikke relevant
overdue = Overskredet
task-closed-tag = Lukket

col-task = Opgave
col-project = Projekt
col-type = Type
col-end-date = Slutdato
col-start-date = Startdato
col-status = Status
col-responsible = Ansvarlig
col-doer = Udfører
col-member = Medlem
col-phase = Fase
col-target-roles = Målgrupperoller
col-region = Region
col-network = Netværk
col-updated = Senest ændret

filter-apply = Vis
pager-label = Sider
pager-prev = Forrige side
pager-next = Næste side
pager-position = Side { $n } af { $of }

home-title = Mine opgaver
home-summary = { $n ->
    [one] Én opgave.
   *[other] { $n } opgaver.
}
home-overdue-on-page = { $n ->
    [one] Én er overskredet.
   *[other] { $n } er overskredet.
}
home-open-only = Vis kun opgaver, der hverken er fuldført eller ikke relevante
home-empty = Der er ingen opgaver her.
home-table-caption = Medlemmets opgaver, kritisk vej og nærmeste slutdato først

back-to-my-tasks = Tilbage til mine opgaver
back-to-follow-up = Tilbage til opfølgningen
task-purpose = Formål
task-guidance = Vejledning
instance-status-heading = Jeres status
instance-status-heading-other = Medlemmets status
instance-save = Gem status
instance-saved = Ændringen er gemt.
instance-task-not-open = Opgaven er lukket. Status kan ikke længere ændres.
history-heading = Historik
history-empty = Ingen ændringer endnu.
history-status-changed = status { $from } → { $to }
history-status-set = status { $s }
history-reason = begrundelse: { $s }
history-responsible = ansvarlig: { $s }
history-doer = udfører: { $s }
history-end-date-changed = slutdato ændret fra { $from } til { $to }: { $reason }
history-central = Central

month-1 = januar
month-2 = februar
month-3 = marts
month-4 = april
month-5 = maj
month-6 = juni
month-7 = juli
month-8 = august
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december

# Generelle formular- og kolonnetekster (tilføjet med de centrale sider).
form-cancel = Annuller
form-required = skal udfyldes
filter-reset = Nulstil filtre
col-code = Kode
col-title = Titel
col-state = Tilstand
col-member-code = Medlemskode
login-throttled = { $n ->
    [one] For mange mislykkede forsøg. Prøv igen om 1 minut.
   *[other] For mange mislykkede forsøg. Prøv igen om { $n } minutter.
}
login-sso-heading = Eller log ind med din organisations login
idp-error-provider = Login-tjenesten svarer ikke lige nu. Prøv igen om lidt, eller log ind med brugernavn og adgangskode.
idp-error-state = Login-forløbet er udløbet eller blev ikke startet her. Start forfra fra login-siden.
idp-error-denied = Login blev afbrudt hos login-tjenesten.
idp-error-token = Login-tjenestens svar kunne ikke godkendes. Start forfra fra login-siden.
idp-error-assurance = Dit login har ikke det sikringsniveau, portalen kræver. Log ind med et stærkere login.
idp-error-member = Dit login hører ikke til en organisation, der kan logge ind her.
idp-error-inactive = Din bruger er deaktiveret. Kontakt din organisations administrator.
idp-error-replay = Dette login-svar er allerede brugt. Start forfra fra login-siden.

# --- The HTTP edge (issue 11): connection timeouts ---
error-timeout = Forespørgslen kom ikke frem i tide. Prøv igen.
