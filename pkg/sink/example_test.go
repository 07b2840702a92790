package sink_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/supervise/supervise/internal/config"
	"github.com/supervise/supervise/pkg/sink"
)

// One service's run: procs hands Capture.Stdout and Capture.Stderr to the
// child, closes its own copies after Start, and waits for Done (or calls
// Close at the drain deadline).
func Example() {
	dir, _ := os.MkdirTemp("", "sink-example")
	defer os.RemoveAll(dir)

	m := sink.NewManager(sink.Options{})
	defer m.Close()
	l, err := m.Open("train", config.LogPolicy{
		Mode:     config.LogFile,
		Path:     filepath.Join(dir, "train.log"),
		Keep:     7,
		FileMode: 0o644,
		MaxLine:  64 << 10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := l.Attach(false)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Stand-in for the child process writing to its stdout and stderr.
	c.Stdout.WriteString("epoch 1\nepoch 2\n")
	c.Stderr.WriteString("warning: no partial lines are lost")
	c.CloseChildEnds()
	<-c.Done()

	if err := l.Rotate(); err != nil {
		fmt.Println(err)
		return
	}
	archived, _ := os.ReadFile(filepath.Join(dir, "train.log.1"))
	fmt.Print(string(archived))
	fmt.Println(l.Stats().Rotations, "rotation")
	// Unordered output:
	// epoch 1
	// epoch 2
	// warning: no partial lines are lost
	// 1 rotation
}
