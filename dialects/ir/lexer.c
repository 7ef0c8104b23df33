/* lexer.c: splits IR text into tokens, tracking line and column. */
#include "lexer.h"

#include <ctype.h>

void dl_lexer_init(dl_lexer *lx, const char *buf, size_t len) {
    lx->buf = lx->pos = buf;
    lx->end = buf + len;
    lx->line = lx->col = 1;
}

void dl_lexer_advance(dl_lexer *lx, size_t n) {
    for (; n && lx->pos < lx->end; n--, lx->pos++) {
        if (*lx->pos == '\n') {
            lx->line++;
            lx->col = 1;
        } else {
            lx->col++;
        }
    }
}

const char *dl_lexer_skip_space(dl_lexer *lx) {
    while (lx->pos < lx->end && isspace((unsigned char)*lx->pos)) dl_lexer_advance(lx, 1);
    return lx->pos;
}

static int peek(const dl_lexer *lx, size_t k) {
    return lx->pos + k < lx->end ? (unsigned char)lx->pos[k] : -1;
}

static bool is_ident_char(int c) {
    return c >= 0 && (isalnum(c) || c == '_' || c == '.' || c == '$');
}

static dl_token make(dl_lexer *lx, dl_tok_kind kind, const char *start, size_t len, uint32_t line,
                     uint32_t col) {
    (void)lx;
    return (dl_token){kind, start, len, line, col};
}

static dl_token lex_number(dl_lexer *lx, uint32_t line, uint32_t col) {
    const char *start = lx->pos;
    bool is_float = false;
    if (peek(lx, 0) == '-' || peek(lx, 0) == '+') dl_lexer_advance(lx, 1);
    while (peek(lx, 0) >= 0 && isdigit(peek(lx, 0))) dl_lexer_advance(lx, 1);
    if (peek(lx, 0) == '.' && peek(lx, 1) >= 0 && isdigit(peek(lx, 1))) {
        is_float = true;
        dl_lexer_advance(lx, 1);
        while (peek(lx, 0) >= 0 && isdigit(peek(lx, 0))) dl_lexer_advance(lx, 1);
    }
    if ((peek(lx, 0) == 'e' || peek(lx, 0) == 'E') &&
        ((peek(lx, 1) >= 0 && isdigit(peek(lx, 1))) ||
         ((peek(lx, 1) == '-' || peek(lx, 1) == '+') && peek(lx, 2) >= 0 &&
          isdigit(peek(lx, 2))))) {
        is_float = true;
        dl_lexer_advance(lx, 2);
        while (peek(lx, 0) >= 0 && isdigit(peek(lx, 0))) dl_lexer_advance(lx, 1);
    }
    return make(lx, is_float ? TOK_FLOAT : TOK_INT, start, (size_t)(lx->pos - start), line, col);
}

dl_token dl_lex(dl_lexer *lx) {
    for (;;) {
        dl_lexer_skip_space(lx);
        if (peek(lx, 0) == '/' && peek(lx, 1) == '/') {
            while (lx->pos < lx->end && *lx->pos != '\n') dl_lexer_advance(lx, 1);
            continue;
        }
        break;
    }
    uint32_t line = lx->line, col = lx->col;
    const char *start = lx->pos;
    int c = peek(lx, 0);
    if (c < 0) return make(lx, TOK_EOF, start, 0, line, col);
    if (c == 0) {
        dl_lexer_advance(lx, 1);
        return make(lx, TOK_ERROR, "unexpected NUL character", 24, line, col);
    }
    if (isdigit(c) || ((c == '-') && peek(lx, 1) >= 0 && isdigit(peek(lx, 1))))
        return lex_number(lx, line, col);
    if (isalpha(c) || c == '_') {
        while (is_ident_char(peek(lx, 0))) dl_lexer_advance(lx, 1);
        return make(lx, TOK_IDENT, start, (size_t)(lx->pos - start), line, col);
    }
    if (c == '%' || c == '^' || c == '@') {
        dl_lexer_advance(lx, 1);
        const char *name = lx->pos;
        if (c == '@' && peek(lx, 0) == '"') {
            dl_token s = dl_lex(lx);
            if (s.kind != TOK_STRING) return s;
            s.kind = TOK_SYMBOL;
            s.line = line;
            s.col = col;
            s.text -= 1; /* include the opening quote so the parser can unescape it */
            s.len += 2;
            return s;
        }
        while (is_ident_char(peek(lx, 0)) || peek(lx, 0) == '-') dl_lexer_advance(lx, 1);
        if (lx->pos == name)
            return make(lx, TOK_ERROR, "expected a name after sigil", 27, line, col);
        dl_tok_kind k = c == '%' ? TOK_VALUE : c == '^' ? TOK_BLOCK : TOK_SYMBOL;
        return make(lx, k, name, (size_t)(lx->pos - name), line, col);
    }
    if (c == '"') {
        dl_lexer_advance(lx, 1);
        const char *s = lx->pos;
        while (lx->pos < lx->end && *lx->pos != '"') {
            if (*lx->pos == '\n')
                return make(lx, TOK_ERROR, "unterminated string literal", 27, line, col);
            dl_lexer_advance(lx, *lx->pos == '\\' && lx->pos + 1 < lx->end ? 2 : 1);
        }
        if (lx->pos >= lx->end)
            return make(lx, TOK_ERROR, "unterminated string literal", 27, line, col);
        size_t len = (size_t)(lx->pos - s);
        dl_lexer_advance(lx, 1);
        return make(lx, TOK_STRING, s, len, line, col);
    }
    dl_lexer_advance(lx, 1);
    switch (c) {
    case '(': return make(lx, TOK_LPAREN, start, 1, line, col);
    case ')': return make(lx, TOK_RPAREN, start, 1, line, col);
    case '{': return make(lx, TOK_LBRACE, start, 1, line, col);
    case '}': return make(lx, TOK_RBRACE, start, 1, line, col);
    case '[': return make(lx, TOK_LBRACKET, start, 1, line, col);
    case ']': return make(lx, TOK_RBRACKET, start, 1, line, col);
    case '<': return make(lx, TOK_LESS, start, 1, line, col);
    case '>': return make(lx, TOK_GREATER, start, 1, line, col);
    case ',': return make(lx, TOK_COMMA, start, 1, line, col);
    case '=': return make(lx, TOK_EQUAL, start, 1, line, col);
    case ':': return make(lx, TOK_COLON, start, 1, line, col);
    case '?': return make(lx, TOK_QUESTION, start, 1, line, col);
    case '+': return make(lx, TOK_PLUS, start, 1, line, col);
    case '*': return make(lx, TOK_STAR, start, 1, line, col);
    case '-':
        if (peek(lx, 0) == '>') {
            dl_lexer_advance(lx, 1);
            return make(lx, TOK_ARROW, start, 2, line, col);
        }
        return make(lx, TOK_MINUS, start, 1, line, col);
    default: return make(lx, TOK_ERROR, "unexpected character", 20, line, col);
    }
}
