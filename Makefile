# Cohort: `make demo` runs the main job, `make test` installs, builds and runs every test.
SWIFT ?= swift
.PHONY: deps build release test demo fixtures bench-decode bench-import bench-data bench-metrics clean

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
	@echo "== cohort inspect fixtures/ (the project's own synthetic files)"
	.build/release/cohort inspect fixtures/dicom fixtures/png fixtures/tiff
	@echo "== display PNG of a MONOCHROME1 mammography fixture"
	mkdir -p catalogs/demo
	.build/release/cohort convert fixtures/dicom/MG_u16s12_64x48_MONOCHROME1_RLE.dcm catalogs/demo/mg_display.png
	@echo "wrote catalogs/demo/mg_display.png"

fixtures: release
	./fixtures/generate.sh .build/release/cohort

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
