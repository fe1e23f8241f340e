# The two commands a newcomer needs (each sets everything up first):
#   make pe     generate the 3x5 PE:  lutgen pe --w 3 --a 5
#   make test   run the whole test suite
VENV ?= .venv

.PHONY: setup pe test quick bench clean
setup:
	@VENV=$(VENV) scripts/setup.sh

pe: setup
	$(VENV)/bin/lutgen pe --w 3 --a 5

test: setup
	$(VENV)/bin/python -m pytest -q

# the quick tier while working: no simulation, formal proof or synthesis
quick: setup
	$(VENV)/bin/python -m pytest -q -m "not sim and not formal and not synth"

bench: setup
	$(VENV)/bin/python benchmarks/luts.py

clean:
	rm -rf lutgen_out build .pytest_cache
