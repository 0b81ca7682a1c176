// Package redacttest checks that iotauth's types print no secret: Walk finds
// every exported type that holds one, and Check prints a value of each every
// way a program may (fmt verbs, encoding/json, log/slog, error messages)
// and fails when a sentinel secret shows.
package redacttest

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// rootPath is the import path of the package whose Secret, Token and
// TokenSource types hold secrets.
const rootPath = "github.com/iotauth/iotauth"

// secretTypes are the types that are secrets, or may hold one.
var secretTypes = []string{rootPath + ".Secret", rootPath + ".Token", rootPath + ".TokenSource"}

// secretName matches the names of string or []byte fields that hold secrets.
var secretName = regexp.MustCompile(`(?i)secret|password|passwd|token|privatekey|keypem|pkcs12`)

// typeDecl is a type declared in the walked tree.
type typeDecl struct {
	expr    ast.Expr
	pkg     string            // import path
	imports map[string]string // file's import name -> path
}

type walker struct {
	decls map[string]*typeDecl // "path.Name"
	memo  map[string]bool
	busy  map[string]bool
}

// Walk returns the exported types declared under dir that hold a secret, as
// "rel/dir.Name" with the package's directory relative to dir, and the last
// element of dir's import path for dir itself ("iotauth.Name" at the
// module's root). dir's import path comes from the go.mod above it.
// Test files, testdata, and the directories in skip (relative, with their
// subdirectories) are not walked, nor those with a go.mod of their own.
//
// A type holds a secret when a field, through pointers, slices, maps,
// arrays, embedding, type arguments and the tree's own types, is an
// iotauth.Secret, Token or TokenSource, or is a string or []byte whose name
// says it is a secret, password, token or key.
func Walk(dir string, skip ...string) ([]string, error) {
	module, err := importPath(dir)
	if err != nil {
		return nil, err
	}
	w := &walker{decls: map[string]*typeDecl{}, memo: map[string]bool{}, busy: map[string]bool{}}
	var exported []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || slices.Contains(skip, rel) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkgDir := path.Dir(rel)
		pkg := module
		if pkgDir != "." {
			pkg = module + "/" + pkgDir
		}
		imports := map[string]string{}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			name := path.Base(ip)
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = ip
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if ts.Assign.IsValid() {
					continue // an alias: its type has its own row
				}
				q := pkg + "." + ts.Name.Name
				w.decls[q] = &typeDecl{expr: ts.Type, pkg: pkg, imports: imports}
				if ts.Name.IsExported() {
					exported = append(exported, q)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, q := range exported {
		if _, isIface := w.decls[q].expr.(*ast.InterfaceType); isIface {
			continue // not a value that can be printed
		}
		if slices.Contains(secretTypes, q) || w.holds(q) {
			name := strings.TrimPrefix(strings.TrimPrefix(q, module), "/")
			if strings.HasPrefix(name, ".") {
				name = path.Base(module) + name
			}
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// importPath returns dir's import path, from the module line of the
// nearest go.mod at or above it.
func importPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var rel []string
	for d := abs; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			m := modfileModule.FindSubmatch(b)
			if m == nil {
				return "", errors.New("redacttest: no module line in " + filepath.Join(d, "go.mod"))
			}
			slices.Reverse(rel)
			return path.Join(append([]string{string(m[1])}, rel...)...), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("redacttest: no go.mod above " + abs)
		}
		rel = append(rel, filepath.Base(d))
	}
}

var modfileModule = regexp.MustCompile(`(?m)^module\s+"?([^\s"]+)"?\s*$`)

// holds reports whether the declared type q holds a secret.
func (w *walker) holds(q string) bool {
	if slices.Contains(secretTypes, q) {
		return true
	}
	if v, ok := w.memo[q]; ok {
		return v
	}
	d, ok := w.decls[q]
	if !ok || w.busy[q] {
		return false // another module's type, or a cycle
	}
	w.busy[q] = true
	v := w.expr(d, d.expr)
	delete(w.busy, q)
	w.memo[q] = v
	return v
}

func (w *walker) expr(d *typeDecl, e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return w.holds(d.pkg + "." + e.Name)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			return w.holds(d.imports[x.Name] + "." + e.Sel.Name)
		}
	case *ast.StarExpr:
		return w.expr(d, e.X)
	case *ast.ArrayType:
		return w.expr(d, e.Elt)
	case *ast.MapType:
		return w.expr(d, e.Key) || w.expr(d, e.Value)
	case *ast.IndexExpr:
		return w.expr(d, e.X) || w.expr(d, e.Index)
	case *ast.IndexListExpr:
		return w.expr(d, e.X) || slices.ContainsFunc(e.Indices, func(i ast.Expr) bool { return w.expr(d, i) })
	case *ast.ParenExpr:
		return w.expr(d, e.X)
	case *ast.StructType:
		for _, f := range e.Fields.List {
			if w.expr(d, f.Type) {
				return true
			}
			if textual(f.Type) {
				for _, n := range f.Names {
					if secretName.MatchString(n.Name) {
						return true
					}
				}
			}
		}
	}
	return false
}

// textual reports whether e is string or []byte.
func textual(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "string"
	case *ast.ArrayType:
		id, ok := e.Elt.(*ast.Ident)
		return ok && e.Len == nil && id.Name == "byte"
	}
	return false
}
