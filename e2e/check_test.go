//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckReferenceConfig: the file users copy is valid as shipped (the
// image's defaults), and the plan names every service.
func TestCheckReferenceConfig(t *testing.T) {
	out, err := run(t, 30*time.Second, bin, "check", "-c", confPath)
	if err != nil {
		t.Fatalf("supervise check -c docker/services.conf: %v\n%s", err, out)
	}
	for _, want := range []string{"ssh-keygen", "sshd", "jupyter", "train", "prune-checkpoints", "/var/log/supervise/jupyter.log"} {
		if !strings.Contains(out, want) {
			t.Errorf("check's plan does not mention %q:\n%s", want, out)
		}
	}
}

// TestCheckK8sConfig: the services.conf in the Kubernetes ConfigMap is valid too.
func TestCheckK8sConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "docker", "k8s", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := blockScalar(string(data), "services.conf")
	if !strings.Contains(conf, "[service train]") {
		t.Fatalf("no services.conf block found in deployment.yaml")
	}
	path := filepath.Join(t.TempDir(), "services.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, 30*time.Second, bin, "check", "-c", path)
	if err != nil {
		t.Fatalf("supervise check on the ConfigMap's services.conf: %v\n%s", err, out)
	}
}

// blockScalar returns the text of the YAML literal block `key: |`: the lines
// after it that are indented deeper than the key, with that indent removed.
func blockScalar(doc, key string) string {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != key+": |" {
			continue
		}
		keyIndent := len(l) - len(strings.TrimLeft(l, " "))
		var out []string
		indent := -1
		for _, b := range lines[i+1:] {
			trimmed := strings.TrimLeft(b, " ")
			n := len(b) - len(trimmed)
			if trimmed == "" {
				out = append(out, "")
				continue
			}
			if n <= keyIndent {
				break
			}
			if indent < 0 {
				indent = n
			}
			out = append(out, b[min(indent, n):])
		}
		return strings.Join(out, "\n") + "\n"
	}
	return ""
}
