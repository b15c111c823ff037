package dev.edgeopt.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One dimension of a shape: a known size, a symbolic monomial such as {@code N} or {@code 196*N},
 * or unknown.
 *
 * <p>Monomials (a coefficient times a product of symbols) are closed under the products and exact
 * quotients that shape inference meets in practice: Flatten multiplies dimensions, and a Reshape to
 * {@code [N, -1]} divides the element count by {@code N}. That is why a dynamic batch survives
 * PyTorch's Shape/Gather/Concat/Reshape chains with its name intact.
 */
public final class Dim {
    private static final String[] NO_SYMBOLS = new String[0];
    private static final Dim UNKNOWN = new Dim(-1, NO_SYMBOLS);

    private final long coef;       // -1 marks unknown
    private final String[] symbols; // sorted; repetition allowed

    private Dim(long coef, String[] symbols) {
        this.coef = coef;
        this.symbols = symbols;
    }

    public static Dim of(long value) {
        if (value < 0) throw new IllegalArgumentException("negative dimension " + value);
        return new Dim(value, NO_SYMBOLS);
    }

    public static Dim sym(String name) {
        Objects.requireNonNull(name);
        if (name.isEmpty()) return UNKNOWN;
        return new Dim(1, new String[] {name});
    }

    public static Dim unknown() { return UNKNOWN; }

    public boolean isKnown() { return coef >= 0 && symbols.length == 0; }

    public boolean isUnknown() { return coef < 0; }

    public boolean isSymbolic() { return coef >= 0 && symbols.length > 0; }

    /** The size; throws if the dimension is not a known number. */
    public long value() {
        if (!isKnown()) throw new IllegalStateException("dimension " + this + " is not static");
        return coef;
    }

    public Dim times(Dim o) {
        if (isUnknown() || o.isUnknown()) return UNKNOWN;
        if (coef == 0 || o.coef == 0) return of(0);
        String[] s = concatSorted(symbols, o.symbols);
        return new Dim(Math.multiplyExact(coef, o.coef), s);
    }

    /** Exact quotient, or unknown when {@code o} does not divide this monomial. */
    public Dim divide(Dim o) {
        if (isUnknown() || o.isUnknown() || o.coef == 0 || coef % o.coef != 0) return UNKNOWN;
        List<String> rest = new ArrayList<>(Arrays.asList(symbols));
        for (String s : o.symbols) if (!rest.remove(s)) return UNKNOWN;
        return new Dim(coef / o.coef, rest.toArray(NO_SYMBOLS));
    }

    /** Sum; only known + known stays known (symbolic sums are rare in shape code and become unknown). */
    public Dim plus(Dim o) {
        if (isKnown() && o.isKnown()) return of(Math.addExact(coef, o.coef));
        if (isKnown() && coef == 0) return o;
        if (o.isKnown() && o.coef == 0) return this;
        return UNKNOWN;
    }

    private static String[] concatSorted(String[] a, String[] b) {
        if (a.length == 0) return b;
        if (b.length == 0) return a;
        String[] s = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s, a.length, b.length);
        Arrays.sort(s);
        return s;
    }

    /** The symbol of a plain symbolic dimension such as {@code N}, else null. */
    public String symbol() { return coef == 1 && symbols.length == 1 ? symbols[0] : null; }

    @Override public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Dim d)) return false;
        // Two unknowns are not provably equal, but treating them as equal keeps equality reflexive.
        return coef == d.coef && Arrays.equals(symbols, d.symbols);
    }

    @Override public int hashCode() { return Long.hashCode(coef) * 31 + Arrays.hashCode(symbols); }

    @Override public String toString() {
        if (isUnknown()) return "?";
        if (symbols.length == 0) return Long.toString(coef);
        String s = String.join("*", symbols);
        return coef == 1 ? s : coef + "*" + s;
    }
}
