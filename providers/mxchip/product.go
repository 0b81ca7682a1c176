package mxchip

import (
	"context"
	"net/http"

	"github.com/iotauth/iotauth/internal/httpc"
)

// productIDsPath lists the account's products.
const productIDsPath = "/v3/open_api/product/ids/"

// Product is a product of the account.
type Product struct {
	ID   string // productid
	Name string // pname
}

// productData is one product in a product-ids answer.
type productData struct {
	ID   string `json:"productid"`
	Name string `json:"pname"`
}

// ProductIDs lists the account's products.
func (c *Client) ProductIDs(ctx context.Context) ([]Product, error) {
	res, err := c.do(ctx, "ProductIDs", http.MethodGet, productIDsPath, nil)
	if err != nil {
		return nil, err
	}
	return parseProducts(c.http, res)
}

// parseProducts turns a product-ids answer into Products. A product
// without an id is an ErrMalformedResponse; an empty list is no products.
func parseProducts(c *httpc.Client, res *httpc.Response) ([]Product, error) {
	var d []productData
	if err := decode(c, res, &d); err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(d))
	for _, p := range d {
		if p.ID == "" {
			return nil, c.Malformed(res, "product without productid")
		}
		out = append(out, Product(p))
	}
	return out, nil
}
