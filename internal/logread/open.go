package logread

import (
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Open returns the segment's bytes, decompressed.
func (s Segment) Open() (io.ReadCloser, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, fmt.Errorf("logread: %w", err)
	}
	switch s.Compress {
	case ".gz":
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("logread: %s: %w", s.Path, err)
		}
		return &decoder{Reader: zr, close: zr.Close, f: f}, nil
	case ".zst":
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("logread: %s: %w", s.Path, err)
		}
		return &decoder{Reader: zr, close: func() error { zr.Close(); return nil }, f: f}, nil
	}
	return f, nil
}

// decoder closes both the decompressor and the file under it.
type decoder struct {
	io.Reader
	close func() error
	f     *os.File
}

func (d *decoder) Close() error {
	err := d.close()
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}
