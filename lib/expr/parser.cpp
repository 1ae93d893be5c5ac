// Expr::parse: recursive descent over the tokens (precedence: + - < * / < unary -/+ < ^, with
// ^ right-associative and its exponent a unary, so -x^2 = -(x^2) and 2^-1 = 0.5).
#include "expr/expr.hpp"
#include "expr/lexer.hpp"

#include <algorithm>
#include <iterator>

namespace flowkit::expr {

namespace {

using detail::Token;
using detail::TokenKind;

struct Function
{
    const char* name;
    Op op;
    int arity;
};

constexpr Function functions[] = {
    {"sin", Op::Sin, 1},   {"cos", Op::Cos, 1},   {"tan", Op::Tan, 1},     {"exp", Op::Exp, 1},
    {"log", Op::Log, 1},   {"sqrt", Op::Sqrt, 1}, {"tanh", Op::Tanh, 1},   {"sinh", Op::Sinh, 1},
    {"cosh", Op::Cosh, 1}, {"abs", Op::Abs, 1},   {"sign", Op::Sign, 1},   {"pow", Op::Pow, 2},
    {"atan2", Op::Atan2, 2},
};

const Function* find_function(const std::string& name)
{
    for (const Function& f : functions) {
        if (name == f.name)
            return &f;
    }
    return nullptr;
}

// expression := term (('+' | '-') term)*
// term       := unary (('*' | '/') unary)*
// unary      := ('-' | '+') unary | power
// power      := primary ('^' unary)?
// primary    := number | name | name '(' expression (',' expression)* ')' | '(' expression ')'
class Parser
{
public:
    Parser(const std::string& text, const std::vector<std::string>& vars,
           const std::map<std::string, double>& constants)
        : m_text(text), m_vars(vars), m_constants(constants), m_tokens(detail::tokenize(text))
    {
    }

    std::vector<Expr> parse(bool list)
    {
        std::vector<Expr> out;
        for (;;) {
            out.push_back(expression());
            if (list && is_symbol(peek(), ';')) {
                next();
                if (peek().kind == TokenKind::End)
                    break;
                continue;
            }
            if (peek().kind != TokenKind::End)
                unexpected(peek());
            break;
        }
        return out;
    }

private:
    const std::string& m_text;
    const std::vector<std::string>& m_vars;
    const std::map<std::string, double>& m_constants;
    std::vector<Token> m_tokens;
    std::size_t m_pos = 0;
    int m_open = 0; // parentheses opened and not yet closed

    const Token& peek() const { return m_tokens[m_pos]; }
    const Token& next() { return m_tokens[m_pos++]; }
    static bool is_symbol(const Token& t, char c)
    {
        return t.kind == TokenKind::Symbol && t.text[0] == c;
    }

    [[noreturn]] void fail(std::size_t column, const std::string& message) const
    {
        detail::syntax_error(m_text, column, message);
    }

    [[noreturn]] void unexpected(const Token& t) const
    {
        switch (t.kind) {
        case TokenKind::End: fail(t.column, "unexpected end of expression");
        case TokenKind::Number: fail(t.column, "unexpected number '" + t.text + "'");
        case TokenKind::Name: fail(t.column, "unexpected name '" + t.text + "'");
        case TokenKind::Symbol:
            if (t.text == ")" && m_open == 0)
                fail(t.column, "unbalanced parenthesis: ')' without a matching '('");
            if (t.text == ")")
                fail(t.column, "unexpected ')': an expression is missing");
            fail(t.column, "unexpected '" + t.text + "'");
        }
        fail(t.column, "unexpected token");
    }

    /// Consumes the ')' closing the '(' at `open`.
    void close(const Token& open)
    {
        if (is_symbol(peek(), ')')) {
            next();
            return;
        }
        if (peek().kind == TokenKind::End)
            fail(open.column, "unbalanced parenthesis: '(' is never closed");
        unexpected(peek());
    }

    Expr expression()
    {
        Expr e = term();
        while (is_symbol(peek(), '+') || is_symbol(peek(), '-')) {
            const bool plus = next().text[0] == '+';
            Expr r = term();
            e = plus ? e + r : e - r;
        }
        return e;
    }

    Expr term()
    {
        Expr e = unary();
        while (is_symbol(peek(), '*') || is_symbol(peek(), '/')) {
            const bool times = next().text[0] == '*';
            Expr r = unary();
            e = times ? e * r : e / r;
        }
        return e;
    }

    Expr unary()
    {
        if (is_symbol(peek(), '-')) {
            next();
            return -unary();
        }
        if (is_symbol(peek(), '+')) {
            next();
            return unary();
        }
        return power();
    }

    Expr power()
    {
        Expr base = primary();
        if (is_symbol(peek(), '^')) {
            next();
            return pow(base, unary());
        }
        return base;
    }

    Expr primary()
    {
        const Token t = next();
        if (t.kind == TokenKind::Number)
            return Expr::constant(t.value);
        if (is_symbol(t, '(')) {
            ++m_open;
            Expr e = expression();
            close(t);
            --m_open;
            return e;
        }
        if (t.kind != TokenKind::Name)
            unexpected(t);
        if (is_symbol(peek(), '('))
            return call(t);
        auto v = std::find(m_vars.begin(), m_vars.end(), t.text);
        if (v != m_vars.end())
            return Expr::variable(static_cast<Index>(std::distance(m_vars.begin(), v)));
        auto c = m_constants.find(t.text);
        if (c != m_constants.end())
            return Expr::constant(c->second);
        if (find_function(t.text))
            fail(t.column, "function '" + t.text + "' needs its argument in parentheses");
        fail(t.column, "unknown variable '" + t.text + "'");
    }

    Expr call(const Token& name)
    {
        const Function* f = find_function(name.text);
        if (!f)
            fail(name.column, "unknown function '" + name.text + "'");
        const Token open = next();
        ++m_open;
        std::vector<Expr> args;
        if (!is_symbol(peek(), ')')) {
            args.push_back(expression());
            while (is_symbol(peek(), ',')) {
                next();
                args.push_back(expression());
            }
        }
        close(open);
        --m_open;
        if (static_cast<int>(args.size()) != f->arity)
            fail(name.column, "function '" + name.text + "' takes " + std::to_string(f->arity)
                                  + (f->arity == 1 ? " argument" : " arguments") + ", got "
                                  + std::to_string(args.size()));
        return Expr::make(f->op, args[0], f->arity == 2 ? args[1] : Expr());
    }
};

} // namespace

Expr Expr::parse(const std::string& text, const std::vector<std::string>& vars,
                 const std::map<std::string, double>& constants)
{
    return Parser(text, vars, constants).parse(false).front();
}

std::vector<Expr> Expr::parse_list(const std::string& text, const std::vector<std::string>& vars,
                                   const std::map<std::string, double>& constants)
{
    return Parser(text, vars, constants).parse(true);
}

} // namespace flowkit::expr
