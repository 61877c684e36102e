# Cohort: `make demo` runs the main job, `make test` installs, builds and runs every test.
SWIFT ?= swift
MINUTES ?= 10
.PHONY: deps build release test demo fuzz fixtures bench-decode bench-import bench-data bench-metrics bench-train bench-score clean

deps:
	./scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	./scripts/check-line-budget
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: release
	@echo "== cohort synth: 100 synthetic patients as DICOM mammograms (skipped when already written)"
	test -f catalogs/demo/studies/labels.csv || .build/release/cohort synth catalogs/demo/studies --patients 100 --seed 1
	@echo "== cohort pipeline examples/demo/experiment.yaml: import, labels, split by patient, train, score, report"
	.build/release/cohort pipeline examples/demo/experiment.yaml

# Mutation fuzzing of the readers for $(MINUTES) minutes, seeded from fixtures/ and ../shared/data when present;
# crashing or hanging inputs land in fuzz-findings/.
fuzz: release
	.build/release/cohort fuzz fixtures $(wildcard ../shared/data) --minutes $(MINUTES) --out fuzz-findings

fixtures: release
	./fixtures/generate.sh .build/release/cohort

bench-score: release
	./bench/score.sh

bench-train: release
	./bench/train.sh

bench-metrics: release
	./bench/metrics.sh

bench-data: release
	./bench/data.sh

bench-import: release
	./bench/import.sh

bench-decode: release
	./bench/decode.sh

clean:
	rm -rf .build
