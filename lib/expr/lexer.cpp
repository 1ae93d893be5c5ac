// Tokenizer and the caret-pointing syntax error shared by the parser.
#include "expr/lexer.hpp"

#include "core/error.hpp"

#include <cctype>
#include <charconv>
#include <system_error>

namespace flowkit::expr::detail {

namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

} // namespace

void syntax_error(const std::string& text, std::size_t column, const std::string& message)
{
    std::string shown = text;
    for (char& c : shown) {
        if (c == '\t' || c == '\n' || c == '\r')
            c = ' ';
    }
    throw UsageError(message + " at column " + std::to_string(column) + " in expression:\n  "
                     + shown + "\n  " + std::string(column > 0 ? column - 1 : 0, ' ') + "^");
}

std::vector<Token> tokenize(const std::string& text)
{
    std::vector<Token> tokens;
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        Token t;
        t.column = i + 1;
        if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(text[i + 1]))) {
            std::size_t j = i;
            while (j < n && is_digit(text[j]))
                ++j;
            if (j < n && text[j] == '.') {
                ++j;
                while (j < n && is_digit(text[j]))
                    ++j;
            }
            if (j < n && (text[j] == 'e' || text[j] == 'E')) {
                std::size_t k = j + 1;
                if (k < n && (text[k] == '+' || text[k] == '-'))
                    ++k;
                if (k < n && is_digit(text[k])) {
                    while (k < n && is_digit(text[k]))
                        ++k;
                    j = k;
                }
            }
            t.kind = TokenKind::Number;
            t.text = text.substr(i, j - i);
            auto r = std::from_chars(text.data() + i, text.data() + j, t.value);
            if (r.ec == std::errc::result_out_of_range)
                syntax_error(text, t.column, "number '" + t.text + "' out of range");
            if (r.ec != std::errc() || r.ptr != text.data() + j)
                syntax_error(text, t.column, "malformed number '" + t.text + "'");
            i = j;
        }
        else if (is_name_start(c)) {
            std::size_t j = i;
            while (j < n && is_name_char(text[j]))
                ++j;
            t.kind = TokenKind::Name;
            t.text = text.substr(i, j - i);
            i = j;
        }
        else if (std::string("+-*/^(),;").find(c) != std::string::npos) {
            t.kind = TokenKind::Symbol;
            t.text = std::string(1, c);
            ++i;
        }
        else {
            syntax_error(text, t.column, "unexpected character '" + std::string(1, c) + "'");
        }
        tokens.push_back(std::move(t));
    }
    Token end;
    end.column = n + 1;
    tokens.push_back(end);
    return tokens;
}

} // namespace flowkit::expr::detail
