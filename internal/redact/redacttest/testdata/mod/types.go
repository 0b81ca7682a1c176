// Package mod is a tree for Walk's tests: each type says whether it holds a
// secret.
package mod

import (
	"sync/atomic"

	ia "github.com/iotauth/iotauth"

	"example.com/mod/sub"
)

type Direct struct{ S ia.Secret }              // yes
type ByPointer struct{ T *ia.Token }           // yes
type InSlice struct{ Ts []*ia.Token }          // yes
type InMap struct{ M map[string]ia.Token }     // yes
type Source struct{ Src ia.TokenSource }       // yes
type Named struct{ apiPassword string }        // yes
type NamedBytes struct{ keyPEM []byte }        // yes
type NamedNumber struct{ tokenCount int }      // no: not text
type Generic struct{ p atomic.Pointer[inner] } // yes, through the type argument
type Embeds struct{ inner }                    // yes, through the embedded type
type OtherPackage struct{ c *sub.Holder }      // yes, through another package of the tree
type Plain struct {
	Name string
	N    int
} // no
type Cycle struct {
	next *Cycle
	name string
}                                         // no
type Iface interface{ Token() ia.Secret } // no: not a value
type unexported struct{ s ia.Secret }     // not reported: unexported
type inner struct{ t *ia.Token }

type Alias = Direct // not reported: an alias has its type's row
