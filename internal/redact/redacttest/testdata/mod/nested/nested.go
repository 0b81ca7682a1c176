package nested

import "github.com/iotauth/iotauth"

type InAnotherModule struct{ S iotauth.Secret }
