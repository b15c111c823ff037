package dev.edgeopt.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DimTest {
    @Test
    void symbolicProductsCancelInExactQuotients() {
        Dim n = Dim.sym("N");
        Dim flat = n.times(Dim.of(3)).times(Dim.of(224)).times(Dim.of(224));
        assertEquals("150528*N", flat.toString());
        assertEquals(Dim.of(150528), flat.divide(n));
        assertEquals(n, flat.divide(Dim.of(150528)));
        assertTrue(flat.divide(Dim.sym("M")).isUnknown());
        assertTrue(Dim.of(10).divide(Dim.of(3)).isUnknown());
    }

    @Test
    void unknownIsAbsorbingAndZeroWins() {
        assertTrue(Dim.unknown().times(Dim.of(4)).isUnknown());
        assertEquals(Dim.of(0), Dim.sym("N").times(Dim.of(0)));
        assertEquals(Dim.of(7), Dim.of(3).plus(Dim.of(4)));
        assertTrue(Dim.sym("N").plus(Dim.of(1)).isUnknown());
        assertEquals(Dim.sym("N"), Dim.sym("N").plus(Dim.of(0)));
    }

    @Test
    void shapeNumelAndOverflow() {
        assertEquals(24, Shape.of(2, 3, 4).numel());
        try {
            Shape.of(1L << 20, 1L << 20).toIntArray();
            throw new AssertionError("expected overflow");
        } catch (ArithmeticException expected) {
            assertTrue(expected.getMessage().contains("more elements"));
        }
    }
}
