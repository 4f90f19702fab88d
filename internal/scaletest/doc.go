// Package scaletest proves on one machine that Kensa scales out and
// survives faults: its test starts Redis, two `kensa serve --sandbox=remote`
// replicas, two `kensa worker`s and the milter as processes on loopback,
// then kills and restarts them under load (scale_test.go).
//
// It exists apart from cmd/kensa because it drives the built binary from
// outside, as an operator's processes would run, and because the same
// deployment is described twice: here (Topology, what the test starts) and
// in docker-compose.yml. compose_test.go checks that both start the same
// services with the same settings, so the compose file, which this
// machine cannot run, cannot drift from what the test proves.
package scaletest
