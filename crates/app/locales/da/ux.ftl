# Issue 11: error summaries, the member's task page, the central task list
# and ending a role holding (kept in one file so that they merge easily).

# Before the page title when a form has errors: "Fejl: Ny opgave – Udrul".
title-error-prefix = Fejl

# The member's task page: after a save, a link on to the next open task.
instance-next-open = Næste åbne opgave
instance-guidance-toggle = Vis eller skjul vejledningen
