// Package chaos is the reliability suite of supervise: the real binary runs
// as PID 1 of a PID namespace while the tests inject faults and abuse (a
// full disk, a read-only or deleted log directory, crash loops, a fork
// bomb, 10,000 orphans, signal storms, hostile control clients, random
// configs) and then check that it still answers, left no zombie, leaked no
// descriptor or goroutine, stayed within its memory bound and wrote every
// line that could be written exactly once (internal/linecheck), with every
// dropped byte accounted.
//
// The tests carry the `chaos` build tag; chaos/run.sh builds and runs them
// (`make chaos`; `make soak` runs the long mixed load with SOAK=1). They
// need root on Linux and skip otherwise. Figures go to a JSON-lines report
// that docs/reliability.md quotes.
package chaos
