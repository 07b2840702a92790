package sink

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/supervise/supervise/pkg/sink/archive"
)

// retain applies keep, max_age and max_total, oldest archives first.
func (o *output) retain(now time.Time) {
	pol := o.pol.Load()
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	as, err := o.archivesLocked()
	if err != nil {
		return
	}
	total := o.liveSize.Load()
	for _, a := range as {
		total += a.size
	}
	var kept int64
	for i, a := range as {
		tooMany := pol.Keep >= 0 && len(as)-i > pol.Keep
		tooOld := pol.MaxAge > 0 && now.Sub(a.mtime) > pol.MaxAge
		tooBig := pol.MaxTotal > 0 && total > pol.MaxTotal
		if tooMany || tooOld || tooBig {
			if err := unix.Unlinkat(o.dirfd(), a.Name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
				o.setErr(fmt.Errorf("sink %s: retention: unlink %s: %w", o.log, a.Name, err))
				kept += a.size
				continue
			}
			total -= a.size
			continue
		}
		kept += a.size
	}
	o.archiveBytes.Store(kept)
}

// recover is start-up recovery (SPEC §4.3): remove unfinished compressions,
// and the plain copy of an archive whose compressed copy was completed just
// before a crash. Compression of the rest is left to the worker.
func (o *output) recover() {
	o.arcMu.Lock()
	defer o.arcMu.Unlock()
	names, err := o.dirNamesLocked()
	if err != nil {
		return
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, n := range names {
		if archive.IsTemp(o.base, n) {
			_ = unix.Unlinkat(o.dirfd(), n, 0)
			continue
		}
		if a, ok := archive.Parse(o.base, n); ok && a.Ext == "" && (have[n+archive.ExtGzip] || have[n+archive.ExtZstd]) {
			_ = unix.Unlinkat(o.dirfd(), n, 0)
		}
	}
}
