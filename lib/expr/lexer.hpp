// Tokens of the expression language (CLI.md "Expressions"), with 1-based columns so that every
// error can point at its character.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace flowkit::expr::detail {

enum class TokenKind
{
    Number,  // 123, 1.5, 1e-3, .5
    Name,    // [A-Za-z_][A-Za-z0-9_]*
    Symbol,  // one of + - * / ^ ( ) , ;
    End,
};

struct Token
{
    TokenKind kind = TokenKind::End;
    std::string text;        // as written (the symbol character for Symbol, empty for End)
    double value = 0;        // Number
    std::size_t column = 0;  // 1-based; End: one past the last character
};

/// Splits `text` into tokens ending with an End token. Throws UsageError (via syntax_error) at an
/// unexpected character or a malformed or out-of-range number.
std::vector<Token> tokenize(const std::string& text);

/// Throws UsageError "<message> at column <column> in expression:" followed by the text and a
/// caret line under the column (tabs and newlines shown as spaces so the caret lines up).
[[noreturn]] void syntax_error(const std::string& text, std::size_t column,
                               const std::string& message);

} // namespace flowkit::expr::detail
