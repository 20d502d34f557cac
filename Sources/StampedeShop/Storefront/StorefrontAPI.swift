import Hummingbird

/// The storefront API's documents, shaped like the classic platforms' REST APIs: absolute URLs for products and
/// baskets, prices as decimal strings, the payment URL handed out by the order.
struct StorefrontProduct: ResponseEncodable {
    var id: Int
    var upc: String
    var title: String
    var url: String
    var price: Price
    var availability: Availability

    struct Price: Codable {
        var currency: String
        var inclTax: String

        enum CodingKeys: String, CodingKey {
            case currency
            case inclTax = "incl_tax"
        }
    }

    struct Availability: Codable {
        var isAvailableToBuy: Bool
        var numAvailable: Int

        enum CodingKeys: String, CodingKey {
            case isAvailableToBuy = "is_available_to_buy"
            case numAvailable = "num_available"
        }
    }

    init(id: Int, product: Product, available: Int, base: String) {
        self.id = id
        self.upc = product.sku
        self.title = product.name
        self.url = "\(base)/api/products/\(id)/"
        self.price = Price(currency: "CNY", inclTax: StorefrontPages.price(product.price).dropFirst().description)
        self.availability = Availability(isAvailableToBuy: available > 0, numAvailable: available)
    }
}

struct StorefrontProductList: ResponseEncodable {
    var count: Int
    var results: [StorefrontProduct]
}

struct StorefrontBasket: ResponseEncodable {
    var id: Int
    var url: String
    var lines: [Line]
    var totalInclTax: String

    struct Line: Codable {
        var product: String
        var quantity: Int
    }

    enum CodingKeys: String, CodingKey {
        case id, url, lines
        case totalInclTax = "total_incl_tax"
    }

    init(_ basket: StorefrontState.Basket, base: String, catalog: CatalogBook) {
        id = basket.id
        url = "\(base)/api/baskets/\(basket.id)/"
        lines = basket.lines.map { line in
            Line(product: "\(base)/api/products/\(catalog.id(of: line.sku) ?? 0)/", quantity: line.quantity)
        }
        let cents = basket.lines.reduce(0) { $0 + (catalog.product($1.sku)?.price ?? 0) * $1.quantity }
        totalInclTax = String(StorefrontPages.price(cents).dropFirst())
    }
}

/// `POST /api/basket/add-product/`: the product by its URL, and a quantity that must be a JSON number.
struct StorefrontAddProduct: Decodable {
    var url: String
    var quantity: Int
}

/// `POST /api/checkout/`: the basket by its URL.
struct StorefrontCheckout: Decodable {
    var basket: String
}

struct StorefrontOrder: ResponseEncodable {
    var number: Int
    var url: String
    var status: String
    var paymentURL: String
    var totalInclTax: String

    enum CodingKeys: String, CodingKey {
        case number, url, status
        case paymentURL = "payment_url"
        case totalInclTax = "total_incl_tax"
    }

    init(_ order: OrderBook.Order, base: String) {
        number = ReferenceShop.number(order)
        url = "\(base)/api/orders/\(number)/"
        status = order.status == .paid ? "Paid" : order.status == .reserved ? "Pending" : "Cancelled"
        // Relative, as many platforms hand it out: the client resolves it against this response.
        paymentURL = "/api/payment/\(number)/"
        totalInclTax = String(StorefrontPages.price(order.amount).dropFirst())
    }
}

struct StorefrontRefusal: ResponseEncodable {
    var reason: String
}
