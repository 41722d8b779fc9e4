# Shared texts: layout, login, errors, fields, statuses.
skip-to-content = Skip to content
nav-label = Main menu
nav-tasks = Tasks
nav-projects = Projects
nav-api = API
nav-my-tasks = My tasks
logout = Log out
footer-text = Udrul – shared tasks, local execution.

login-title = Log in
login-username = Username
login-password = Password
login-submit = Log in
login-failed = The username or password is wrong.

error-title = Something went wrong
error-back-home = Go to the front page
error-not-found = The page does not exist, or you have no access to it.
error-forbidden = You have no access to this page.
error-csrf = The form had expired or came from another site. Reload the page and try again.
error-too-large = The content is too large.
error-unavailable = The database is not answering right now. Try again shortly.
error-internal = An unexpected error happened. It has been logged.
error-invalid = The input is invalid.
error-version-conflict = Someone else saved a change in the meantime. Look at the current values and try again.
error-duplicate = The name is already in use.
error-not-draft = Only drafts can be edited.
error-member-role = Member roles (robots too) need a member; central roles and auditors have none.
error-not-staff = The user is not central project staff.
error-not-robot = The user is not an active robot.
error-expiry-past = The expiry must be in the future.
error-state-transition = The task cannot move to that state from here.
error-task-not-open = The task is not open for changes.

form-errors-title = There are problems with the form
error-required = is required.
error-too-long = must be at most { $n } characters.
error-control-chars = contains control characters, which do not belong in text.
error-date = must be a date (yyyy-mm-dd).
# Characters and dates that are refused (issue 11): one check for forms, API, SCIM and imports.
error-invisible-chars = contains invisible characters or characters that reverse the direction of text.
error-line-break = must be one line, without line breaks or tabs.
error-date-range = must lie between 1 January 2000 and 31 December 2100.
error-username-spaces = must not contain spaces.
error-choice = must be one of the choices shown.
error-out-of-range = is outside the allowed range.
error-too-many = there are too many.
error-end-before-start = the end date is before the start date.
error-reason-required = is required when the task is not relevant.
error-audience-both = choose either all members or a selection, not both.
error-audience-empty = choose at least one member, region or network.
error-unknown-project = the project does not exist.
error-unknown-role = the role is not in the role catalogue.
error-unknown-member = one of the chosen members does not exist.
error-unknown-region = the region does not exist.
error-unknown-network = the network does not exist.
error-unknown-org-unit = the unit does not exist at this member.
error-unknown-person = the person does not exist at this member.
error-person-left = the person has left and cannot be given roles.
error-email = must be an e-mail address (name@domain.dk).
error-max-holders = must be a whole number from 1 to 1000, or empty for no limit.
error-to-before-from = the to-date is before the from-date.
error-role-already-held = the person already holds the role in that period.
error-role-max-holders = the role already has the most holders allowed in that period.
error-role-one-primary = the role already has a primary holder in that period.
error-role-max-below-holders = a member already has more holders at once; end some first.

field-project_id = Project
field-code = Code
field-title = Title
field-purpose = Purpose
field-guidance = Guidance
field-task_type = Type
field-phase = Phase
field-target_roles = Target roles
field-start_date = Start date
field-end_date = End date
field-reason = Reason
field-audience = Audience
field-name = Name
field-description = Description
field-status = Execution status
field-not_relevant_reason = Reason, if the task is not relevant
field-responsible = Responsible
field-doer = Doer
field-version = Version
hint-not-relevant-reason = Required if you choose "Not relevant".

task-type-obligatorisk = Mandatory
task-type-obligatorisk_kritisk_vej = Mandatory, on the critical path
task-type-valgfri = Optional
status-ikke_paabegyndt = Not started
status-paabegyndt = Started
status-fuldfoert = Done
status-ikke_relevant = Not relevant
overdue = Overdue
task-closed-tag = Closed

col-task = Task
col-project = Project
col-type = Type
col-end-date = End date
col-start-date = Start date
col-status = Status
col-responsible = Responsible
col-doer = Doer
col-member = Member
col-phase = Phase
col-target-roles = Target roles
col-region = Region
col-network = Network
col-updated = Last changed

filter-apply = Show
pager-label = Pages
pager-prev = Previous page
pager-next = Next page
pager-position = Page { $n } of { $of }

home-title = My tasks
home-summary = { $n ->
    [one] One task.
   *[other] { $n } tasks.
}
home-overdue-on-page = { $n ->
    [one] One is overdue.
   *[other] { $n } are overdue.
}
home-open-only = Show only tasks that are not settled
home-empty = There are no tasks here.
home-table-caption = The member's tasks, critical path and nearest end date first

back-to-my-tasks = Back to my tasks
back-to-follow-up = Back to the follow-up
task-purpose = Purpose
task-guidance = Guidance
instance-status-heading = Your status
instance-status-heading-other = The member's status
instance-save = Save status
instance-saved = The change is saved.
instance-task-not-open = The task is closed. Its status can no longer change.
history-heading = History
history-empty = No changes yet.
history-status-changed = status { $from } → { $to }
history-status-set = status { $s }
history-reason = reason: { $s }
history-responsible = responsible: { $s }
history-doer = doer: { $s }
history-end-date-changed = end date changed from { $from } to { $to }: { $reason }
history-central = Central

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

# General form and column texts (added with the central pages).
form-cancel = Cancel
form-required = required
filter-reset = Clear filters
col-code = Code
col-title = Title
col-state = State
col-member-code = Member code
login-throttled = { $n ->
    [one] Too many failed attempts. Try again in 1 minute.
   *[other] Too many failed attempts. Try again in { $n } minutes.
}
login-sso-heading = Or log in with your organisation's login
idp-error-provider = The login service is not answering right now. Try again shortly, or log in with username and password.
idp-error-state = The login has expired or was not started here. Start again from the login page.
idp-error-denied = The login was cancelled at the login service.
idp-error-token = The login service's answer could not be verified. Start again from the login page.
idp-error-assurance = Your login does not have the level of assurance the portal requires. Log in with a stronger login.
idp-error-member = Your login does not belong to an organisation that can log in here.
idp-error-inactive = Your user is deactivated. Contact your organisation's administrator.
idp-error-replay = This login answer has already been used. Start again from the login page.

# --- The HTTP edge (issue 11): connection timeouts ---
error-timeout = The request did not arrive in time. Try again.
