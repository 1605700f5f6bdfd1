/* The list the init.from readers fill and the matcher reads (see
 * weights_import_internal.h); apart so that readers and matcher do not call
 * each other. */
#include <stdlib.h>
#include <string.h>

#include "onnx/weights_import_internal.h"

ct_status import_list_add(import_list *list, import_layer **out)
{
    import_layer *grown = realloc(list->layers, (list->count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    list->layers = grown;
    *out = &grown[list->count++];
    memset(*out, 0, sizeof **out);
    return CT_OK;
}

void import_list_free(import_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        for (size_t k = 0; k < list->layers[i].n_vars; k++)
            ct_onnx_tensor_free(&list->layers[i].vars[k]);
    free(list->layers);
    memset(list, 0, sizeof *list);
}
