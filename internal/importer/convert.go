package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
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

// maxInput bounds one input file: configuration files are small, and a glob
// in an include must not make the converter read a device or a huge log.
const maxInput = 4 << 20

// readInput reads a regular file of at most maxInput bytes.
func readInput(path string) ([]byte, error) {
	// Stat before opening: opening a FIFO or a terminal can block.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxInput)
	}
	return data, nil
}
