/**
 * The filter conditions every panel query repeats, as SQL text over bound parameters: a panel
 * passes the column that holds the store or the sku. An empty parameter matches everything
 * (within the BI user's scope, which the engine applies underneath).
 */

/** Rows of the chosen store, or of the chosen region's stores. */
export function storeWhere(storeColumn: string): string {
  return `({store:String} = '' OR ${storeColumn} = {store:String})
      AND ({region:String} = '' OR ${storeColumn} IN (SELECT store_id FROM \${database}.bi_dim_store WHERE region = {region:String}))`;
}

/** Rows of the chosen category's products. */
export function categoryWhere(skuColumn: string): string {
  return `({category:String} = '' OR ${skuColumn} IN (SELECT sku FROM \${database}.bi_dim_product WHERE category = {category:String}))`;
}

