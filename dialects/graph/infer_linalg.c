/* infer_linalg.c: shape inference rules of matrix products and recurrent layers: MatMul,
 * MatMulInteger, QLinearMatMul, Gemm, Einsum, RNN, GRU and LSTM. */
#include "infer.h"

#include <string.h>

/* Sizes given by attributes are at most this large, so size formulas cannot overflow int64. */
#define ATTR_MAX ((int64_t)1 << 31)

/* ---- Matrix products ---- */

/* The numpy matmul shape of operands ai and bi: 1-D operands are promoted to matrices (and the
 * added dimension removed again), batch dimensions broadcast, inner sizes must agree. */
static dl_status matmul_shape(dl_op *op, unsigned ai, unsigned bi, dl_shape *y) {
    dl_shape a, b, batch[2];
    if (dl_operand_shape(op, ai, &a) != DL_OK || dl_operand_shape(op, bi, &b) != DL_OK)
        return DL_FAILURE;
    if (a.rank == 0 || b.rank == 0)
        return dl_op_error(op, "operand %u is a scalar; matrix products need rank >= 1",
                           a.rank == 0 ? ai : bi);
    int64_t ak = a.dims[a.rank - 1];
    int64_t bk = b.dims[b.rank == 1 ? 0 : b.rank - 2];
    if (ak != DL_DYN && bk != DL_DYN && ak != bk)
        return dl_op_error(op,
                           "inner dimensions do not match: operand %u has %lld columns, operand "
                           "%u has %lld rows",
                           ai, (long long)ak, bi, (long long)bk);
    batch[0] = a;
    batch[0].rank = a.rank > 2 ? a.rank - 2 : 0;
    batch[1] = b;
    batch[1].rank = b.rank > 2 ? b.rank - 2 : 0;
    if (dl_broadcast(op, 2, batch, y) != DL_OK) return DL_FAILURE;
    if (a.rank > 1) dl_shape_copy_dim(y, y->rank++, &a, a.rank - 2);
    if (b.rank > 1) dl_shape_copy_dim(y, y->rank++, &b, b.rank - 1);
    return dl_check_elements(op, y);
}

static dl_status infer_matmul(dl_op *op) {
    dl_shape y;
    if (matmul_shape(op, 0, 1, &y) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 0), &y);
    return DL_OK;
}

/* MatMulInteger(A, B, a_zero_point?, b_zero_point?): the matmul shape, i32. */
static dl_status infer_matmul_integer(dl_op *op) {
    dl_shape y;
    if (matmul_shape(op, 0, 1, &y) != DL_OK) return DL_FAILURE;
    dl_set_result(op, 0, dl_type_scalar(op->ctx, DL_TY_I32), &y);
    return DL_OK;
}

/* QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): the matmul shape of a and
 * b with y_zero_point's element type. */
static dl_status infer_qlinear_matmul(dl_op *op) {
    dl_shape y, zp;
    if (matmul_shape(op, 0, 3, &y) != DL_OK || dl_operand_shape(op, 7, &zp) != DL_OK)
        return DL_FAILURE;
    dl_set_result(op, 0, dl_operand_elem(op, 7), &y);
    return DL_OK;
}

/* Gemm(A, B, C?): A (M, K) and B (K, N), each transposed first when transA / transB is set,
 * give (M, N); C must broadcast to (M, N) in one direction. */
static dl_status infer_gemm(dl_op *op) {
    dl_shape a, b, y;
    if (dl_operand_rank(op, 0, "A", 2, &a) != DL_OK || dl_operand_rank(op, 1, "B", 2, &b) != DL_OK)
        return DL_FAILURE;
    int ta = dl_op_attr_int(op, "transA", 0) != 0, tb = dl_op_attr_int(op, "transB", 0) != 0;
    int64_t ak = a.dims[1 - ta], bk = b.dims[tb];
    if (ak != DL_DYN && bk != DL_DYN && ak != bk)
        return dl_op_error(op, "inner dimensions do not match: A gives K = %lld, B gives K = %lld",
                           (long long)ak, (long long)bk);
    y.rank = 2;
    dl_shape_copy_dim(&y, 0, &a, ta);
    dl_shape_copy_dim(&y, 1, &b, 1 - tb);
    if (dl_has_operand(op, 2)) {
        dl_shape c;
        if (dl_operand_shape(op, 2, &c) != DL_OK) return DL_FAILURE;
        bool ok = c.rank <= 2;
        for (int i = 0; ok && i < c.rank; i++) {
            int64_t d = c.dims[i], want = y.dims[2 - c.rank + i];
            ok = d == 1 || d == DL_DYN || want == DL_DYN || d == want;
        }
        if (!ok)
            return dl_op_error(op, "operand 2 (C) does not broadcast to the result shape (M, N)");
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* ---- Einsum ---- */

#define EINSUM_LABELS 128

/* One term of an Einsum equation: its labels in order, with the ellipsis at position ell
 * (-1 if absent). */
typedef struct einsum_term {
    int n;
    char labels[DL_MAX_RANK];
    int ell;
} einsum_term;

/* Parses one term from *p up to ',', '-' or the end, skipping spaces. */
static dl_status parse_term(dl_op *op, const char **p, einsum_term *t) {
    const char *s = *p;
    t->n = 0;
    t->ell = -1;
    while (*s && *s != ',' && *s != '-') {
        if (*s == ' ') {
            s++;
            continue;
        }
        if (s[0] == '.') {
            if (s[1] != '.' || s[2] != '.')
                return dl_op_error(op, "'equation': a '.' that is not part of '...'");
            if (t->ell >= 0) return dl_op_error(op, "'equation': a term has two ellipses");
            t->ell = t->n;
            s += 3;
            continue;
        }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return dl_op_error(op, "'equation': invalid character '%c'", *s);
        if (t->n == DL_MAX_RANK)
            return dl_op_error(op, "'equation': a term has more than %d labels", DL_MAX_RANK);
        t->labels[t->n++] = *s++;
    }
    *p = s;
    return DL_OK;
}

/* Einsum(inputs...): each input's labels give named sizes (equal labels, equal sizes; 1
 * broadcasts), ellipsis dims broadcast across inputs. The output has the explicit right-hand
 * side's labels (which must keep the ellipsis when it stands for dimensions) or, implicitly,
 * the ellipsis dims then the labels used once in ASCII order (numpy.einsum's rules). */
static dl_status infer_einsum(dl_op *op) {
    const char *eq = dl_op_attr_str(op, "equation", NULL);
    if (!eq) return dl_op_error(op, "needs an 'equation' attribute");
    int64_t size[EINSUM_LABELS];
    const char *name[EINSUM_LABELS];
    int count[EINSUM_LABELS] = {0};
    dl_shape ell = {.rank = 0};
    bool any_ell = false;
    const char *p = eq;
    for (unsigned i = 0; i < op->num_operands; i++) {
        einsum_term t;
        dl_shape s;
        if (i > 0 && *p++ != ',')
            return dl_op_error(op, "'equation' has %u input terms for %u operands", i,
                               op->num_operands);
        if (dl_operand_shape(op, i, &s) != DL_OK || parse_term(op, &p, &t) != DL_OK)
            return DL_FAILURE;
        if (i > 0 && dl_operand_elem(op, i) != dl_operand_elem(op, 0))
            return dl_op_error(op, "operand %u has element type %s, expected %s like operand 0", i,
                               dl_type_str(op->ctx, dl_operand_elem(op, i)),
                               dl_type_str(op->ctx, dl_operand_elem(op, 0)));
        if (t.ell < 0 ? s.rank != t.n : s.rank < t.n)
            return dl_op_error(op, "'equation' term %u has %d labels for an operand of rank %d", i,
                               t.n, s.rank);
        int ell_rank = s.rank - t.n;
        for (int j = 0; j < t.n; j++) {
            int d = j < t.ell || t.ell < 0 ? j : j + ell_rank;
            unsigned char c = (unsigned char)t.labels[j];
            int64_t e = s.dims[d];
            if (count[c]++ == 0 || size[c] == 1 || (size[c] == DL_DYN && e != 1)) {
                size[c] = e;
                name[c] = s.names[d];
            } else if (e != 1 && e != DL_DYN && size[c] != e) {
                return dl_op_error(op, "label '%c' has sizes %lld and %lld", c, (long long)size[c],
                                   (long long)e);
            }
        }
        if (t.ell >= 0) {
            dl_shape pair[2] = {ell, s};
            pair[1].rank = ell_rank;
            for (int j = 0; j < ell_rank; j++) dl_shape_copy_dim(&pair[1], j, &s, t.ell + j);
            if (dl_broadcast(op, any_ell ? 2 : 1, any_ell ? pair : &pair[1], &ell) != DL_OK)
                return DL_FAILURE;
            any_ell = true;
        }
    }
    if (*p == ',')
        return dl_op_error(op, "'equation' has more input terms than the %u operands",
                           op->num_operands);

    dl_shape y = {.rank = 0};
    if (*p == '-') {
        einsum_term t;
        if (p[1] != '>') return dl_op_error(op, "'equation': expected '->'");
        p += 2;
        if (parse_term(op, &p, &t) != DL_OK) return DL_FAILURE;
        if (*p) return dl_op_error(op, "'equation': unexpected '%c' in the output term", *p);
        if (t.ell < 0 && ell.rank > 0)
            return dl_op_error(op,
                               "'equation': the output term needs '...' for the %d ellipsis "
                               "dimensions of the inputs",
                               ell.rank);
        bool seen[EINSUM_LABELS] = {0};
        for (int j = 0; j <= t.n; j++) {
            if (j == t.ell) {
                if (y.rank + ell.rank > DL_MAX_RANK)
                    return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
                for (int e = 0; e < ell.rank; e++) dl_shape_copy_dim(&y, y.rank++, &ell, e);
            }
            if (j == t.n) break;
            unsigned char c = (unsigned char)t.labels[j];
            if (!count[c])
                return dl_op_error(op, "'equation': output label '%c' is not an input label", c);
            if (seen[c]) return dl_op_error(op, "'equation': output label '%c' is repeated", c);
            seen[c] = true;
            if (y.rank >= DL_MAX_RANK)
                return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
            y.dims[y.rank] = size[c];
            y.names[y.rank++] = name[c];
        }
    } else {
        y = ell;
        for (int c = 0; c < EINSUM_LABELS; c++) {
            if (count[c] != 1) continue;
            if (y.rank >= DL_MAX_RANK)
                return dl_op_error(op, "the result rank exceeds %d", DL_MAX_RANK);
            y.dims[y.rank] = size[c];
            y.names[y.rank++] = name[c];
        }
    }
    return dl_set_result_checked(op, 0, dl_operand_elem(op, 0), &y);
}

/* ---- Recurrent layers ---- */

/* RNN, GRU, LSTM(X, W, R, B?, sequence_lens?, initial_h?, initial_c?, P?): X is
 * (seq, batch, input) for layout 0 or (batch, seq, input) for layout 1; W is
 * (directions, gates * hidden, input). Outputs, each optional: Y (seq, directions, batch,
 * hidden) / (batch, seq, directions, hidden); Y_h and LSTM's Y_c (directions, batch, hidden) /
 * (batch, directions, hidden). */
static dl_status infer_rnn(dl_op *op) {
    int gates = op->kind == DL_OP_graph_LSTM ? 4 : op->kind == DL_OP_graph_GRU ? 3 : 1;
    dl_shape x, w, r;
    if (dl_operand_rank(op, 0, "X", 3, &x) != DL_OK ||
        dl_operand_rank(op, 1, "W", 3, &w) != DL_OK || dl_operand_rank(op, 2, "R", 3, &r) != DL_OK)
        return DL_FAILURE;
    const char *direction = dl_op_attr_str(op, "direction", "forward");
    int64_t dirs;
    if (!strcmp(direction, "forward") || !strcmp(direction, "reverse"))
        dirs = 1;
    else if (!strcmp(direction, "bidirectional"))
        dirs = 2;
    else
        return dl_op_error(op,
                           "'direction' must be \"forward\", \"reverse\" or \"bidirectional\", "
                           "got \"%s\"",
                           direction);
    int64_t layout = dl_op_attr_int(op, "layout", 0);
    if (layout != 0 && layout != 1)
        return dl_op_error(op, "'layout' must be 0 or 1, got %lld", (long long)layout);
    int64_t hidden = dl_op_attr_int(op, "hidden_size", DL_DYN);
    if (dl_op_attr(op, "hidden_size") && (hidden < 1 || hidden > ATTR_MAX))
        return dl_op_error(op, "'hidden_size' must be positive, got %lld", (long long)hidden);
    if (hidden == DL_DYN) hidden = r.dims[2];
    if (hidden == DL_DYN && w.dims[1] != DL_DYN) hidden = w.dims[1] / gates;
    if (dl_match_dim(op, w.dims[0], dirs, "directions of W and 'direction'") != DL_OK ||
        dl_match_dim(op, r.dims[0], dirs, "directions of R and 'direction'") != DL_OK ||
        dl_match_dim(op, w.dims[2], x.dims[2], "input size of W and X") != DL_OK ||
        dl_match_dim(op, r.dims[2], hidden, "hidden size of R and 'hidden_size'") != DL_OK)
        return DL_FAILURE;
    if (hidden != DL_DYN && w.dims[1] != DL_DYN && w.dims[1] != gates * hidden)
        return dl_op_error(op, "operand 1 (W) has %lld rows, expected %d gates x hidden size %lld",
                           (long long)w.dims[1], gates, (long long)hidden);
    int seq = layout ? 1 : 0, batch = layout ? 0 : 1;
    dl_shape y = {.rank = 4}, yh = {.rank = 3};
    if (layout) {
        dl_shape_copy_dim(&y, 0, &x, batch);
        dl_shape_copy_dim(&y, 1, &x, seq);
        dl_shape_set_dim(&y, 2, dirs, NULL);
        dl_shape_copy_dim(&yh, 0, &x, batch);
        dl_shape_set_dim(&yh, 1, dirs, NULL);
    } else {
        dl_shape_copy_dim(&y, 0, &x, seq);
        dl_shape_set_dim(&y, 1, dirs, NULL);
        dl_shape_copy_dim(&y, 2, &x, batch);
        dl_shape_set_dim(&yh, 0, dirs, NULL);
        dl_shape_copy_dim(&yh, 1, &x, batch);
    }
    dl_shape_set_dim(&y, 3, hidden, NULL);
    dl_shape_set_dim(&yh, 2, hidden, NULL);
    if (dl_check_elements(op, &y) != DL_OK) return DL_FAILURE;
    const dl_type *elem = dl_operand_elem(op, 0);
    dl_set_optional_result(op, 0, elem, &y);
    dl_set_optional_result(op, 1, elem, &yh);
    dl_set_optional_result(op, 2, elem, &yh);
    return DL_OK;
}

const dl_infer_entry dl_infer_linalg[] = {
    {DL_OP_graph_MatMul, infer_matmul},
    {DL_OP_graph_MatMulInteger, infer_matmul_integer},
    {DL_OP_graph_QLinearMatMul, infer_qlinear_matmul},
    {DL_OP_graph_Gemm, infer_gemm},
    {DL_OP_graph_Einsum, infer_einsum},
    {DL_OP_graph_RNN, infer_rnn},
    {DL_OP_graph_GRU, infer_rnn},
    {DL_OP_graph_LSTM, infer_rnn},
    {DL_OP__INVALID, NULL},
};
