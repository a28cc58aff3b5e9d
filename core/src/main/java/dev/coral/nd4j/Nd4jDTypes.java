package dev.coral.nd4j;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * ND4J's data types and Coral's dtypes, one to one where both have the type: every ND4J type
 * whose elements are fixed-size numbers or booleans. UTF8, COMPRESSED and UNKNOWN have none, nor
 * do Coral's types that ND4J lacks (F8_*, F4, F6_*, complex, F128); each is refused naming the
 * tensor, before anything is read or stored.
 */
final class Nd4jDTypes {
    private Nd4jDTypes() {
    }

    /**
     * Coral's dtype of ND4J's {@code type}, for tensor {@code name}. The case labels name the enum
     * constants, deprecated in ND4J for their aliases (INT32 for INT ...), which a switch cannot name.
     */
    @SuppressWarnings("deprecation")
    static DType toCoral(String name, DataType type) throws BadInputException {
        switch (type) {
            case FLOAT: return DType.F32;
            case DOUBLE: return DType.F64;
            case HALF: return DType.F16;
            case BFLOAT16: return DType.BF16;
            case INT: return DType.I32;
            case LONG: return DType.I64;
            case SHORT: return DType.I16;
            case BYTE: return DType.I8;
            case UBYTE: return DType.U8;
            case UINT16: return DType.U16;
            case UINT32: return DType.U32;
            case UINT64: return DType.U64;
            case BOOL: return DType.BOOL;
            default:
                throw new BadInputException("tensor '" + name + "': ND4J data type " + type + " has no Coral dtype (numbers and "
                        + "booleans only)");
        }
    }

    /** ND4J's data type of Coral's {@code dtype}, for tensor {@code name}. */
    static DataType toNd4j(String name, DType dtype) throws BadInputException {
        switch (dtype) {
            case F32: return DataType.FLOAT;
            case F64: return DataType.DOUBLE;
            case F16: return DataType.FLOAT16;
            case BF16: return DataType.BFLOAT16;
            case I32: return DataType.INT32;
            case I64: return DataType.INT64;
            case I16: return DataType.INT16;
            case I8: return DataType.INT8;
            case U8: return DataType.UINT8;
            case U16: return DataType.UINT16;
            case U32: return DataType.UINT32;
            case U64: return DataType.UINT64;
            case BOOL: return DataType.BOOL;
            default:
                throw new BadInputException("tensor '" + name + "': dtype " + dtype + " has no ND4J data type");
        }
    }
}
