module ocpi-engine/benches/loadgen

go 1.21
