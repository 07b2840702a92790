package procs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/supervise/supervise/internal/config"
)

// environ builds a service's environment: supervise's own, then env_file
// (read now, at each start, so edits apply on restart), then env, then
// gpus, then the user's HOME/USER/LOGNAME. Later settings win.
func environ(base []string, svc *config.Service) ([]string, error) {
	env := newEnv(base)
	if svc.EnvFile != "" {
		kvs, err := readEnvFile(svc.EnvFile)
		if err != nil {
			return nil, err
		}
		for _, kv := range kvs {
			env.setKV(kv)
		}
	}
	for _, kv := range svc.Env {
		env.setKV(kv)
	}
	switch svc.GPUs {
	case "":
		// inherit whatever supervise has
	case "all":
		// CUDA reads an unset CUDA_VISIBLE_DEVICES as "every device";
		// "all" is not a value CUDA understands.
		env.unset("CUDA_VISIBLE_DEVICES")
		env.set("NVIDIA_VISIBLE_DEVICES", "all")
	case "none":
		// An empty CUDA_VISIBLE_DEVICES hides every device from CUDA;
		// "void" is the NVIDIA container toolkit's word for no GPU.
		env.set("CUDA_VISIBLE_DEVICES", "")
		env.set("NVIDIA_VISIBLE_DEVICES", "void")
	default:
		env.set("CUDA_VISIBLE_DEVICES", svc.GPUs)
		env.set("NVIDIA_VISIBLE_DEVICES", svc.GPUs)
	}
	if u := svc.User; u != nil {
		login := u.Login
		if login == "" {
			login = strconv.FormatUint(uint64(u.UID), 10)
		}
		home := u.Home
		if home == "" {
			home = "/"
		}
		env.set("HOME", home)
		env.set("USER", login)
		env.set("LOGNAME", login)
	}
	return env.list(), nil
}

// env is an ordered KEY=VALUE list where setting a key replaces it in place.
type env struct {
	kv  []string
	pos map[string]int
}

func newEnv(base []string) *env {
	e := &env{pos: make(map[string]int, len(base))}
	for _, kv := range base {
		e.setKV(kv)
	}
	return e
}

func (e *env) setKV(kv string) {
	k, _, _ := strings.Cut(kv, "=")
	if i, ok := e.pos[k]; ok {
		e.kv[i] = kv
		return
	}
	e.pos[k] = len(e.kv)
	e.kv = append(e.kv, kv)
}

func (e *env) set(k, v string) { e.setKV(k + "=" + v) }

func (e *env) unset(k string) {
	if i, ok := e.pos[k]; ok {
		e.kv[i] = ""
		delete(e.pos, k)
	}
}

func (e *env) list() []string {
	out := make([]string, 0, len(e.kv))
	for _, kv := range e.kv {
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out
}

// readEnvFile reads KEY=VALUE lines. Blank lines and lines starting with #
// are skipped, a leading `export ` is allowed, and a value wholly inside
// matching single or double quotes loses them (the common .env dialect).
func readEnvFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("env_file: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("env_file %s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, k+"="+v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env_file %s: %w", path, err)
	}
	return out, nil
}

// envValue returns KEY's value in a KEY=VALUE list ("" when unset).
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath finds name in path as a shell would: the first regular file
// with an execute bit. Not found is exec.ErrNotFound (exit 127).
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}
