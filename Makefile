# The two commands of the README:
#   make demo   install everything, then run a local demo meeting end to end
#   make test   install everything, then run the whole gate (lint, types, tests)
.PHONY: demo test setup

setup:
	scripts/setup

demo: setup
	.venv/bin/meetbot demo

test: setup
	scripts/gate
