package importer

import (
	"errors"
	"fmt"
)

// ErrUnknownKind is returned by Convert for a kind other than supervisord,
// logrotate or crontab.
var ErrUnknownKind = errors.New("unknown kind; accepted: supervisord, logrotate, crontab")

// Convert runs the converter for kind on files.
func Convert(kind string, files []string) (*Conf, error) {
	switch kind {
	case "supervisord":
		return Supervisord(files)
	case "logrotate":
		return Logrotate(files)
	case "crontab":
		return Crontab(files)
	}
	return nil, fmt.Errorf("%q: %w", kind, ErrUnknownKind)
}
