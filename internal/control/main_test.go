package control

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// clientEnv makes the test binary act as a `supervise ctl` client: the
// permission tests run it as another user.
const clientEnv = "CONTROL_TEST_CLIENT"

func TestMain(m *testing.M) {
	if spec := os.Getenv(clientEnv); spec != "" {
		var c struct {
			Path string
			Args []string
		}
		if err := json.Unmarshal([]byte(spec), &c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(100)
		}
		req, err := ParseArgs(c.Args, os.Stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(ExitUsage)
		}
		os.Exit(Run(context.Background(), c.Path, req, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}
