"""The library's settings: branches and closed days, loan policies, job runs, migrations."""
