/* lexer.h: tokens of the IR text syntax (private to the parser). */
#ifndef DLCC_IR_LEXER_H
#define DLCC_IR_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dl_tok_kind {
    TOK_EOF,
    TOK_ERROR,  /* bad character or unterminated literal; text says why */
    TOK_IDENT,  /* bare identifier, may contain '.' (graph.Conv, f32, tensor) */
    TOK_VALUE,  /* %name */
    TOK_BLOCK,  /* ^name */
    TOK_SYMBOL, /* @name */
    TOK_INT,    /* -?[0-9]+ */
    TOK_FLOAT,  /* -?[0-9]+.[0-9]*([eE][+-]?[0-9]+)? */
    TOK_STRING, /* "..." (text/len span the raw contents without quotes) */
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACE,
    TOK_RBRACE,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_LESS,
    TOK_GREATER,
    TOK_COMMA,
    TOK_EQUAL,
    TOK_COLON,
    TOK_ARROW,
    TOK_QUESTION,
    TOK_PLUS,
    TOK_MINUS,
    TOK_STAR,
} dl_tok_kind;

typedef struct dl_token {
    dl_tok_kind kind;
    const char *text; /* start of the token (for %/^/@ names: after the sigil) */
    size_t len;
    uint32_t line, col;
} dl_token;

typedef struct dl_lexer {
    const char *buf, *end, *pos;
    uint32_t line, col;
} dl_lexer;

void dl_lexer_init(dl_lexer *lx, const char *buf, size_t len);
/* Lexes the next token, skipping whitespace and // comments. */
dl_token dl_lex(dl_lexer *lx);
/* Skips whitespace (not comments) and returns the current raw position. */
const char *dl_lexer_skip_space(dl_lexer *lx);
/* Advances the raw position by n characters (tracking lines). */
void dl_lexer_advance(dl_lexer *lx, size_t n);

#endif
