package sub

import "github.com/iotauth/iotauth"

type Holder struct{ secret iotauth.Secret }
