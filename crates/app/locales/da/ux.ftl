# Issue 11: error summaries, the member's task page, the central task list
# and ending a role holding (kept in one file so that they merge easily).

# Before the page title when a form has errors: "Fejl: Ny opgave – Udrul".
title-error-prefix = Fejl

# The member's task page: after a save, a link on to the next open task.
instance-next-open = Næste åbne opgave
instance-guidance-toggle = Vis eller skjul vejledningen

# Ending a role holding asks first (/assignments/{id}/end).
assignment-end-title = Afslut en rolle
assignment-end-back = Tilbage til rollegalleriet
assignment-end-person = Person
assignment-end-lead = Personen holder op med at have rollen efter den sidste dag. Tidligere perioder bliver gemt som historik.
assignment-end-confirm = Afslut rollen
field-on = Sidste dag
hint-assignment-end-on = Den sidste dag, personen har rollen. Tom: i dag.

# The central task list: search (default: the open tasks).
task-search-label = Find opgaver
task-search-field = Søg
task-search-hint = I kode og titel. Uden valg vises de udgivne opgaver, nærmeste slutdato først.
