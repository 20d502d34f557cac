import StampedeCore

/// The storefront's HTML pages, in the shape of the classic platforms' templates: a CSRF token in every form (and
/// in a `meta` tag for scripts), links between pages, forms that post and redirect.
enum StorefrontPages {
    static func escape(_ text: String) -> String { Markup.escape(text) }

    static func page(title: String, csrf: String, user: String?, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>\(escape(title)) | Stampede Storefront</title>
          <meta name="csrf-token" content="\(escape(csrf))">
        </head>
        <body>
          <header>
            <a href="/">Stampede Storefront</a>
            <nav><a href="/catalogue/">Catalogue</a> <a href="/basket/">Basket</a>
            \(user.map { "<span class=\"user\">Signed in as \(escape($0))</span>" } ?? "<a href=\"/accounts/login/\">Login</a>")
            </nav>
          </header>
          <main>
        \(body)
          </main>
        </body>
        </html>

        """
    }

    static func csrfField(_ token: String) -> String {
        "<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"\(escape(token))\">"
    }

    static func login(csrf: String, error: String?) -> String {
        page(
            title: "Login", csrf: csrf, user: nil,
            """
                <h1>Log in</h1>
                \(error.map { "<p class=\"error\">\(escape($0))</p>" } ?? "")
                <form method="post" action="/accounts/login/">
                  \(csrfField(csrf))
                  <label>Email <input type="email" name="login-username" autocomplete="username"></label>
                  <label>Password <input type="password" name="login-password" autocomplete="current-password"></label>
                  <button type="submit" name="login_submit" value="Log In">Log in</button>
                </form>
            """)
    }

    static func home(csrf: String, user: String?) -> String {
        page(
            title: "Home", csrf: csrf, user: user,
            """
                <h1>Festival deals</h1>
                <p><a href="/catalogue/">Browse the catalogue</a></p>
            """)
    }

    static func catalogue(
        csrf: String, user: String?, products: [(id: Int, product: Product, available: Int)]
    ) -> String {
        let items = products.map { item in
            "    <li class=\"product\"><a href=\"/catalogue/\(slug(item.product))_\(item.id)/\">"
                + "\(escape(item.product.name))</a> <span class=\"price\">\(price(item.product.price))</span>"
                + (item.available > 0 ? "" : " <span class=\"stock\">sold out</span>") + "</li>"
        }
        return page(
            title: "Catalogue", csrf: csrf, user: user,
            "    <h1>All products</h1>\n    <ol class=\"products\">\n" + items.joined(separator: "\n") + "\n    </ol>")
    }

    static func product(csrf: String, user: String?, id: Int, product: Product, available: Int) -> String {
        page(
            title: product.name, csrf: csrf, user: user,
            """
                <h1>\(escape(product.name))</h1>
                <p class="price">\(price(product.price))</p>
                <p class="availability">\(available > 0 ? "In stock (\(available) available)" : "Sold out")</p>
                <form method="post" action="/basket/add/\(id)/" class="add-to-basket">
                  \(csrfField(csrf))
                  <input type="number" name="quantity" value="1" min="1">
                  <button type="submit">Add to basket</button>
                </form>
            """)
    }

    static func basket(
        csrf: String, user: String?, lines: [(product: Product, quantity: Int)], message: String?
    ) -> String {
        let rows = lines.map { line in
            "      <tr><td>\(escape(line.product.name))</td><td>\(line.quantity)</td>"
                + "<td>\(price(line.product.price * line.quantity))</td></tr>"
        }
        return page(
            title: "Basket", csrf: csrf, user: user,
            """
                <h1>Your basket</h1>
                \(message.map { "<p class=\"message\">\(escape($0))</p>" } ?? "")
                <table class="basket">
            \(rows.joined(separator: "\n"))
                </table>
                <form method="post" action="/checkout/">
                  \(csrfField(csrf))
                  <button type="submit">Place order</button>
                </form>
            """)
    }

    static func thankYou(csrf: String, user: String?, number: Int, product: Product, quantity: Int) -> String {
        page(
            title: "Order \(number)", csrf: csrf, user: user,
            """
                <h1>Thank you: order \(number)</h1>
                <p>\(quantity) × \(escape(product.name)), \(price(product.price * quantity)) to pay.</p>
                <form method="post" action="/checkout/payment/\(number)/">
                  \(csrfField(csrf))
                  <input type="hidden" name="method" value="card">
                  <button type="submit">Pay now</button>
                </form>
            """)
    }

    static func paid(csrf: String, user: String?, number: Int) -> String {
        page(
            title: "Paid", csrf: csrf, user: user,
            "    <h1>Order \(number) is paid</h1>\n    <p class=\"status\">Paid</p>")
    }

    static func forbidden(_ reason: String) -> String {
        "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>Forbidden (403)</h1>"
            + "<p>CSRF verification failed. Request aborted.</p><p>\(escape(reason))</p></body></html>\n"
    }

    static func slug(_ product: Product) -> String {
        var slug = ""
        for character in product.name.lowercased() {
            if character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        return slug.trimming(["-"])
    }

    static func price(_ cents: Int) -> String {
        "¥\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
    }
}

extension String {
    func trimming(_ set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
