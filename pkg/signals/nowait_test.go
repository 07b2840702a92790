package signals

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bannedWaits are the methods that wait for a child themselves and so race
// the reaper for its zombie (STYLE §2.2): nothing in the module's non-test
// code may call them on an *exec.Cmd or *os.Process.
var bannedWaits = map[string]map[string]bool{
	"os/exec.Cmd": {"Wait": true, "Run": true, "Output": true, "CombinedOutput": true},
	"os.Process":  {"Wait": true},
}

// TestNoSecondWaiter type-checks every package of the module and fails on
// any call of a banned method. Types, not text: a sync.WaitGroup's Wait is
// fine, a cmd.Wait() spelled across lines is not.
func TestNoSecondWaiter(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the whole module")
	}
	root := moduleRoot(t)
	pkgs := goListExport(t, root)
	exports := map[string]string{}
	for _, p := range pkgs {
		if p.Export != "" {
			exports[p.ImportPath] = p.Export
		}
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, os.ErrNotExist
		}
		return os.Open(f)
	})
	checked := 0
	for _, p := range pkgs {
		if p.Standard || p.Module == nil || p.Module.Path != modulePath(pkgs) || len(p.GoFiles) == 0 {
			continue
		}
		if outsideSupervise(strings.TrimPrefix(p.ImportPath, modulePath(pkgs)+"/")) {
			continue
		}
		fset := token.NewFileSet()
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		conf := types.Config{Importer: imp.(types.ImporterFrom), Error: func(error) {}}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil && len(info.Selections) == 0 {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		checked++
		for sel, s := range info.Selections {
			if s.Kind() != types.MethodVal {
				continue
			}
			recv := s.Recv()
			if ptr, ok := recv.(*types.Pointer); ok {
				recv = ptr.Elem()
			}
			named, ok := recv.(*types.Named)
			if !ok || named.Obj().Pkg() == nil {
				continue
			}
			key := named.Obj().Pkg().Path() + "." + named.Obj().Name()
			if bannedWaits[key][sel.Sel.Name] {
				t.Errorf("%s: %s.%s waits for a child itself; start it through signals.Reaper",
					fset.Position(sel.Pos()), key, sel.Sel.Name)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("only %d packages checked; is the module layout as expected?", checked)
	}
}

type listedPackage struct {
	ImportPath string
	Dir        string
	Export     string
	Standard   bool
	GoFiles    []string
	Module     *struct{ Path string }
}

func modulePath(pkgs []listedPackage) string {
	for _, p := range pkgs {
		if p.Module != nil && strings.HasSuffix(p.ImportPath, "/pkg/signals") {
			return p.Module.Path
		}
	}
	return ""
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// goListExport runs `go list -export -deps` over the module, through a
// Reaper like every child of this package's tests.
func goListExport(t *testing.T, root string) []listedPackage {
	t.Helper()
	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go tool to list the module")
		}
	}
	r := newTestReaper(t)
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "list.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(filepath.Join(dir, "list.err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd := exec.Command(goTool, "list", "-e", "-export", "-deps", "-json=ImportPath,Dir,Export,Standard,GoFiles,Module", "./...")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = out, errf
	c, err := r.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if e := waitExit(t, c, 5*time.Minute); e.Code() != 0 {
		b, _ := os.ReadFile(errf.Name())
		t.Fatalf("go list: %s\n%s", e, b)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// outsideSupervise reports the module's tools that drive supervise from the
// outside (benchmarks, end-to-end and chaos harnesses): they never share a
// process with the reaper, so os/exec's own waiting is right there.
func outsideSupervise(rel string) bool {
	for _, dir := range []string{"bench", "e2e", "chaos"} {
		if rel == dir || strings.HasPrefix(rel, dir+"/") {
			return true
		}
	}
	return false
}
