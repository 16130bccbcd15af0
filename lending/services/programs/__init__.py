"""Partner programs: partners, programs (terms, requirements, points, stock), enrolments,
training, agreements, lending under a program and the program reports."""
