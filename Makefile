# The two commands of the README:
#   make demo   install everything, then run a local demo meeting end to end
#   make test   install everything, then run the whole gate (lint, types, tests)
.PHONY: demo test setup catalogs

setup:
	scripts/setup

demo: setup
	.venv/bin/meetbot demo

test: setup
	scripts/gate

# The message catalogs (README, "Adding a language"): extract every message into the template,
# then bring each language's .po up to date with it. meetbot compiles the .po files when it
# loads them; tests/test_language_catalogs.py fails on anything left untranslated.
catalogs:
	.venv/bin/pybabel extract -F babel.cfg --no-location --sort-output --add-comments=TRANSLATORS: \
		--project=meetbot --version=0.1.0 --msgid-bugs-address="" \
		-o meetbot/language/locales/meetbot.pot .
	.venv/bin/pybabel update -i meetbot/language/locales/meetbot.pot -d meetbot/language/locales \
		-D meetbot --no-fuzzy-matching --ignore-obsolete
