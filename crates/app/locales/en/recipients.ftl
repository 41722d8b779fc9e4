# Who a task reaches: the task's target roles resolved through every
# member's role gallery (web/tasks/recipients.rs).
recipients-title = Recipients
task-tab-recipients = Recipients
recipients-heading = Who the task reaches
recipients-summary = Reaches { $people ->
    [one] one person
   *[other] { $people } people
} and { $mailboxes ->
    [one] one mailbox
   *[other] { $mailboxes } mailboxes
} at { $members ->
    [one] one member
   *[other] { $members } members
}.
recipients-summary-gaps = { $n ->
    [one] One member has
   *[other] { $n } members have
} no holder of a target role; where there is a general mailbox, it gets the task instead.
recipients-summary-unreached = { $n ->
    [one] At one member
   *[other] At { $n } members
} the task reaches nobody.
recipients-summary-unreachable = { $n ->
    [one] One holder has
   *[other] { $n } holders have
} no e-mail address.
recipients-summary-no-roles = The task has no target roles: it goes to each member's general mailbox.
recipients-summary-link = See who the task reaches, member by member
recipients-lead = Who the task reaches on { $s }, from each member's role gallery: the current holders of its target roles (people who have left do not count) and the roles' function mailboxes. Where a target role reaches nobody, the member's general mailbox gets the task instead.
recipients-scope-draft = The task is a draft: the list shows every member it can be published to.
recipients-scope-published = The list shows the members the task was published to.
recipients-target-roles = Target roles
recipients-caption = Recipients per member, those needing attention first
recipients-col-people = People
recipients-col-mailboxes = Mailboxes
recipients-col-attention = Needs attention
recipients-col-kind = Kind
recipients-col-name = Name
recipients-col-roles = Roles
recipients-col-gaps = Target roles without a holder
recipients-attention-tag = needs attention
recipients-primary = primary
recipients-general-mailbox = general mailbox
recipients-instead-of = instead of { $s }
recipients-gap = No holder of { $s }.
recipients-nobody-for = Nobody receives it for { $s }: the member has no general mailbox.
recipients-no-email = Without an e-mail address: { $s }.
recipients-reaches-nobody = The task reaches nobody here.
recipients-nothing = Nothing
recipients-none = none
recipients-no-members = No members match the filters.
recipients-export-csv = Download the recipients as CSV
recipients-export-xlsx = Download the recipients as an Excel spreadsheet (XLSX)
recipients-file-prefix = recipients
recipients-kind-person = Person
recipients-kind-role-mailbox = Role mailbox
recipients-kind-general = General mailbox
recipients-kind-fallback = General mailbox (in place of missing holders)
recipients-kind-no-email = Holder without an e-mail address
recipients-kind-nobody = Nobody
recipients-publish-for-all = If the task is published to every member:
recipients-publish-for-selection = With the members selected:
audit-action-task-recipients-export = exported a task's recipients
