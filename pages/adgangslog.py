import streamlit as st

st.title("Adgangslog")
st.info("Siden er under opbygning.")
